import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ServiceFunction } from './function.js';
import { acknowledge } from './nag.js';

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
 * conditional write), so a failed run is retried: EventBridge retries a delivery that Lambda
 * refused (the target's retry policy); Lambda's asynchronous invocation retries a run that threw
 * once, within 30 minutes, so a retry never lands on top of the next hour's run. What still
 * fails (an event that could not be delivered, a run that failed twice) goes to a dead-letter
 * queue, which raises an alarm, as does any failed run.
 */
export class SweepSchedule extends Construct {
  readonly function: ServiceFunction;
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;
  readonly errorAlarm: Alarm;

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id);
    // Described by its entry file, as every function of the app is.
    this.function = new ServiceFunction(this, 'Sweep', { entry: SWEEP_ENTRY, timeout: SWEEP_TIMEOUT });
    this.function.bindTable(props.table, 'readWrite');
    this.function.bindIntake(props.intake, 'renotify');
    this.deadLetterQueue = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      "This queue is itself a dead-letter queue: of the schedule's target (EventBridge) and of the sweep's asynchronous invocations (Lambda on-failure destination), which cdk-nag does not recognise as a redrive. Its messages raise an alarm.",
    );
    this.function.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.minutes(30), onFailure: new SqsDestination(this.deadLetterQueue) });
    this.rule = new Rule(this, 'Hourly', {
      description: 'certrevoke: expiry sweep',
      schedule: Schedule.rate(SWEEP_RATE),
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.minutes(30), deadLetterQueue: this.deadLetterQueue })],
    });
    // No action attached: the stack has no notification topic yet; wire one when it does.
    this.deadLetterAlarm = new Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: 'certrevoke: an expiry sweep was not delivered or failed twice (dead-letter queue not empty)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmDescription: 'certrevoke: an expiry sweep run failed (it is retried once; the next hourly run carries on)',
      metric: this.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
