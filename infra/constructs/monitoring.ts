import { Aspects, Duration, Stack, type IAspect } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { METRIC_DIMENSIONS, METRIC_NAMES, METRICS_NAMESPACE } from '../../lib/http/metrics.js';

/** The window of the function, state machine and API alarms: one failure in it raises the alarm. */
export const ALARM_PERIOD = Duration.minutes(5);
/** The review SLA: no request waits more than 24 hours for a reviewer. */
export const REVIEW_SLA = Duration.hours(24);
/** The scheduled sweep publishes the review queue's age once an hour. */
export const REVIEW_AGE_PERIOD = Duration.hours(1);

export interface MonitoringProps {
  /** Every Lambda of the app: each gets a Throttles alarm and, unless listed below, an Errors alarm. */
  functions: Iterable<IFunction>;
  /** Functions whose Errors already raise an alarm of their own (the scheduled sweep's): no second one. */
  errorsAlarmedElsewhere?: Iterable<IFunction>;
  /** The workflows' state machines: each gets an ExecutionsFailed and an ExecutionsTimedOut alarm. */
  stateMachines: Iterable<IStateMachine>;
  /** The HTTP API: its 5xx replies (handlers turn thrown errors into a 500 reply, so no Lambda Errors). */
  httpApi?: IHttpApi;
  /**
   * Where every alarm of the stack (and its return to OK) is sent: these and the ones that live
   * with their queues and functions. Without one, alarms only show in the console.
   */
  alarmTopic?: ITopic | undefined;
}

/**
 * The service's alarms, all on "something went wrong at least once" (missing data is fine: no
 * invocation, no error), plus the review SLA on the metric the hourly sweep publishes (namespace
 * `Certrevoke`, see lib/http/metrics.ts). The dead-letter queue alarms of the letters and the
 * sweep live with their queues (letter-processing.ts, sweep-schedule.ts), as does the sweep's
 * error alarm.
 */
export class Monitoring extends Construct {
  /** Every alarm this construct made. */
  readonly alarms: Alarm[] = [];
  readonly reviewSlaAlarm: Alarm;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    if (props.alarmTopic) Aspects.of(Stack.of(this)).add(new NotifyOnAlarms(props.alarmTopic));

    const alarmedElsewhere = new Set(props.errorsAlarmedElsewhere ?? []);
    for (const fn of props.functions) {
      const name = pathOf(fn);
      if (!alarmedElsewhere.has(fn)) {
        this.atLeastOnce(`${idOf(name)}Errors`, `${name} failed (an error, timeout or crash of the function)`, fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }));
      }
      this.atLeastOnce(`${idOf(name)}Throttles`, `${name} was throttled (concurrency limit reached)`, fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }));
    }

    for (const stateMachine of props.stateMachines) {
      const name = pathOf(stateMachine);
      // The workflows end every failed request in their Fail state, so this counts requests that
      // failed by rule (rejected by a reviewer, validation or request expired) as well as faults.
      this.atLeastOnce(`${idOf(name)}ExecutionsFailed`, `${name}: an execution failed (a request ended failed)`, stateMachine.metricFailed({ period: ALARM_PERIOD, statistic: 'Sum' }));
      this.atLeastOnce(`${idOf(name)}ExecutionsTimedOut`, `${name}: an execution timed out`, stateMachine.metricTimedOut({ period: ALARM_PERIOD, statistic: 'Sum' }));
    }

    if (props.httpApi) {
      this.atLeastOnce('HttpApi5xx', 'the HTTP API answered 5xx (an unhandled error in a handler, or an integration failure)', props.httpApi.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }));
    }

    this.reviewSlaAlarm = this.add(
      new Alarm(this, 'ReviewSla', {
        alarmDescription: `certrevoke: a request has waited for a reviewer for more than ${REVIEW_SLA.toHours()} hours (the review SLA)`,
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: METRIC_NAMES.oldestPendingReviewAge,
          dimensionsMap: { ...METRIC_DIMENSIONS },
          statistic: 'Maximum',
          period: REVIEW_AGE_PERIOD,
        }),
        threshold: REVIEW_SLA.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // One data point an hour, not always inside each clock hour: an hour without one keeps
        // the alarm where it was. A sweep that stops running has alarms of its own.
        treatMissingData: TreatMissingData.IGNORE,
      }),
    );
  }

  /** Sum ≥ 1 over one period; no data is not breaching. */
  private atLeastOnce(id: string, what: string, metric: IMetric): Alarm {
    return this.add(
      new Alarm(this, id, {
        alarmDescription: `certrevoke: ${what}`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  private add(alarm: Alarm): Alarm {
    this.alarms.push(alarm);
    return alarm;
  }
}

/** Sends every alarm it visits, and its return to OK, to one topic. */
class NotifyOnAlarms implements IAspect {
  constructor(private readonly topic: ITopic) {}

  visit(node: IConstruct): void {
    if (!(node instanceof Alarm)) return;
    node.addAlarmAction(new SnsAction(this.topic));
    node.addOkAction(new SnsAction(this.topic));
  }
}

/** A construct's path below its stack, for descriptions: `Api/GetCertificate`. */
function pathOf(construct: IFunction | IStateMachine): string {
  return construct.node.path.slice(Stack.of(construct).node.path.length + 1);
}

/** The path as a construct id: `Api/GetCertificate` → `ApiGetCertificate`. */
function idOf(path: string): string {
  return path.replaceAll('/', '');
}
