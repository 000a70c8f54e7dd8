import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Api } from './api.js';
import type { JwtIssuer } from './constructs/cognito-issuer.js';
import { LetterProcessing } from './constructs/letter-processing.js';
import { Monitoring } from './constructs/monitoring.js';
import { ReissueWorkflow } from './constructs/reissue-workflow.js';
import { RevocationWorkflow } from './constructs/revocation-workflow.js';
import { SweepSchedule } from './constructs/sweep-schedule.js';
import { CaPublisher } from './constructs/ca-publisher.js';

/** The stateful resources the stateless side uses, as Stateful provides them. */
export interface StatefulResources {
  table: ITable;
  letterIntake: IBucket;
  letterEvidence: IBucket;
  caSecret: ISecret;
  keyVaultKey: IKey;
}

export interface StatelessProps {
  stateful: StatefulResources;
  /** The console's origin (https, no path): CORS of the HTTP API and the user pool's callback origin. */
  consoleOrigin: string;
  /** Who signs accepted tokens; when absent a Cognito user pool is created. */
  jwt?: JwtIssuer | undefined;
  /** Where every alarm is sent (an SNS topic the platform team owns); none: alarms only show in the console. */
  alarmTopic?: ITopic | undefined;
}

/**
 * Everything that can be replaced without losing data: the two workflows, the HTTP API with
 * its functions and token issuer, letter processing, the expiry sweep's schedule and the
 * alarms. It holds no data of its own; what it reads and writes comes in as StatefulResources.
 */
export class Stateless extends Construct {
  readonly revocation: RevocationWorkflow;
  readonly reissue: ReissueWorkflow;
  readonly api: Api;
  readonly letters: LetterProcessing;
  readonly sweep: SweepSchedule;
  readonly caPublisher: CaPublisher;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: StatelessProps) {
    super(scope, id);
    const { table, caSecret, letterIntake, letterEvidence, keyVaultKey } = props.stateful;
    this.caPublisher = new CaPublisher(this, 'CaPublisher', { table, caSecret });
    this.revocation = new RevocationWorkflow(this, 'RevocationWorkflow', { table, caSecret });
    this.reissue = new ReissueWorkflow(this, 'ReissueWorkflow', { table, caSecret });
    this.api = new Api(this, 'Api', {
      table,
      caSecret,
      revocationStateMachine: this.revocation.stateMachine,
      reissueStateMachine: this.reissue.stateMachine,
      keyVaultKey,
      letterIntake,
      letterEvidence,
      ...(props.jwt ? { jwt: props.jwt } : {}),
      consoleOrigin: props.consoleOrigin,
    });
    this.letters = new LetterProcessing(this, 'LetterProcessing', {
      table,
      intake: letterIntake,
      evidence: letterEvidence,
      revocationStateMachine: this.revocation.stateMachine,
    });
    this.sweep = new SweepSchedule(this, 'Sweep', { table, intake: letterIntake });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: [
        ...this.api.functions.values(),
        ...this.revocation.functions.values(),
        ...this.reissue.functions.values(),
        this.letters.processor,
        this.sweep.function,
        this.caPublisher.function,
        ...this.api.issuerFunctions,
      ],
      errorsAlarmedElsewhere: [this.sweep.function],
      stateMachines: [this.revocation.stateMachine, this.reissue.stateMachine],
      httpApi: this.api.httpApi,
      alarmTopic: props.alarmTopic,
    });
  }
}
