import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Trigger } from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { PUBLISH_EVERY_MS } from '../../lib/adapters/embedded-ca.js';
import { ServiceFunction } from './function.js';

export const PUBLISH_CA_ENTRY = 'functions/publish-ca.ts';

export interface CaPublisherProps {
  table: ITable;
  caSecret: ISecret;
}

/**
 * Publishes the CA for its public routes (`GET /ca.pem`, `GET /crl`), which then only read the
 * table: the one function besides the signing tasks that holds the CA's key. It runs during every
 * deployment that changes it (a CDK trigger, after the table and the secret exist: it creates the
 * CA on the first one) and every 6 hours, to re-sign the CRL before it goes stale. A failed run
 * fails the deployment, or raises its function's error alarm (Monitoring).
 */
export class CaPublisher extends Construct {
  readonly function: ServiceFunction;
  readonly trigger: Trigger;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: CaPublisherProps) {
    super(scope, id);
    // Creating the CA on the first run generates a key and writes the secret: leave it room.
    this.function = new ServiceFunction(this, 'Publish', { entry: PUBLISH_CA_ENTRY, timeout: Duration.seconds(30) });
    this.function.bindTable(props.table, 'readWrite');
    this.function.bindCaSecret(props.caSecret, 'readWrite');
    this.trigger = new Trigger(this, 'OnDeploy', { handler: this.function, executeAfter: [props.table, props.caSecret], timeout: Duration.minutes(1) });
    this.rule = new Rule(this, 'Schedule', {
      description: 'certrevoke: re-sign the CRL before it goes stale',
      schedule: Schedule.rate(Duration.millis(PUBLISH_EVERY_MS)),
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }
}
