import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ServiceFunction } from './function.js';

export const SWEEP_ENTRY = 'functions/scheduled-sweep.ts';
/** Long enough for a large backlog's page run; a sweep that cannot finish saves its place and stops. */
export const SWEEP_TIMEOUT = Duration.minutes(5);
export const SWEEP_RATE = Duration.hours(1);

export interface SweepScheduleProps {
  table: ITable;
  intake: IBucket;
}

/**
 * The hourly expiry sweep: an EventBridge schedule invokes the sweep function, which reads only
 * what is due from the table's due index. Runs may overlap or repeat safely (every effect is a
 * conditional write), so the schedule retries a failed invocation.
 */
export class SweepSchedule extends Construct {
  readonly function: ServiceFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Sweep', { entry: SWEEP_ENTRY, timeout: SWEEP_TIMEOUT, description: 'certrevoke hourly expiry sweep' });
    this.function.bindTable(props.table, 'readWrite');
    this.function.bindIntake(props.intake, 'renotify');
    this.rule = new Rule(this, 'Hourly', {
      description: 'certrevoke: expiry sweep',
      schedule: Schedule.rate(SWEEP_RATE),
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.minutes(30) })],
    });
  }
}
