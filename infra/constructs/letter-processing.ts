import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PDF_CHECK_WORKER_BUNDLE, PDF_CHECK_WORKER_ENTRY } from '../../lib/adapters/pdf-check.js';
import { LETTER_PREFIXES, ServiceFunction } from './function.js';
import { acknowledge } from './nag.js';

/** The processor's entry, relative to the repository root. */
export const LETTER_PROCESSOR_ENTRY = 'functions/process-letter.ts';
/** Decoding with sharp and a PDF parse in a worker: CPU comes with memory on Lambda. */
export const LETTER_PROCESSOR_MEMORY_MB = 1536;
export const LETTER_PROCESSOR_TIMEOUT = Duration.seconds(30);
/** Messages per invocation; each is answered on its own (batch item failures). */
export const LETTER_BATCH_SIZE = 5;
/** Receives before a message is dead-lettered. */
export const LETTER_MAX_RECEIVES = 4;
/**
 * Native and platform-specific packages installed into the processor's asset for linux-arm64
 * rather than bundled. file-type and pdf-lib are plain JavaScript and are bundled.
 */
export const LETTER_PROCESSOR_NODE_MODULES = ['sharp'];

export interface LetterProcessingProps {
  table: ITable;
  intake: IBucket;
  evidence: IBucket;
  revocationStateMachine: IStateMachine;
}

/**
 * Uploaded letters from S3 to their verdict: every ObjectCreated under `uploads/` of the intake
 * bucket goes to an SQS queue (S3's direct Lambda invocation can drop events under load, a
 * queue keeps them), and the processor takes them from there, reporting each failed message on
 * its own. A message that fails four times goes to the dead-letter queue, kept 14 days, which
 * raises an alarm; the sweep's reconciliation finds uploads that no event reported.
 *
 * The processor reads and deletes uploads, writes evidence (never deletes it), records the
 * outcome in the table, completes the workflow's waiting letter task or, when no task waits,
 * starts the revocation workflow again.
 */
export class LetterProcessing extends Construct {
  readonly processor: ServiceFunction;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: LetterProcessingProps) {
    super(scope, id);

    this.processor = new ServiceFunction(this, 'ProcessLetter', {
      entry: LETTER_PROCESSOR_ENTRY,
      memorySize: LETTER_PROCESSOR_MEMORY_MB,
      timeout: LETTER_PROCESSOR_TIMEOUT,
      nodeModules: LETTER_PROCESSOR_NODE_MODULES,
      // The PDF check's thread loads pdf-lib alone, not the processor's clients and sharp.
      workers: [{ entry: PDF_CHECK_WORKER_ENTRY, bundle: PDF_CHECK_WORKER_BUNDLE }],
    });
    this.processor.bindTable(props.table, 'readWrite');
    this.processor.bindIntake(props.intake, 'process');
    this.processor.bindEvidence(props.evidence, 'write');
    this.processor.bindTaskCallbacks();
    this.processor.bindStateMachine('revocation', props.revocationStateMachine, 'start');

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Uploads', {
      // SSE-SQS rather than a customer key: S3 can then send without a key policy of its own.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for a Lambda source: at least six times the function's timeout, so a
      // message being processed is not handed out again while a throttled retry is pending.
      visibilityTimeout: Duration.seconds(6 * LETTER_PROCESSOR_TIMEOUT.toSeconds()),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: LETTER_MAX_RECEIVES },
    });

    // The processor never writes under `uploads/`, so this cannot trigger itself.
    props.intake.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), { prefix: LETTER_PREFIXES.upload });
    // CDK writes the notification configuration with a singleton handler of its own in the stack.
    const notificationsHandler = Stack.of(this).node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHandler) {
      acknowledge(
        notificationsHandler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's own bucket-notifications handler, a custom resource that writes the intake bucket's notification configuration during deployments: AWSLambdaBasicExecutionRole lets it log to the log group Lambda creates under a name CDK generates; its only other permission is s3:PutBucketNotification on the intake bucket.",
      );
    }
    this.processor.addEventSource(new SqsEventSource(this.queue, { batchSize: LETTER_BATCH_SIZE, reportBatchItemFailures: true }));

    // No action attached: the stack has no notification topic yet; wire one when it does.
    this.deadLetterAlarm = new Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: 'certrevoke: letter uploads failed processing four times (dead-letter queue not empty)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
