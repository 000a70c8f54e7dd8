import { readFileSync } from 'node:fs';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction, InlineCode, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Pass, StateMachine, DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { ServiceFunction } from '../../infra/constructs/function.js';
import { Monitoring } from '../../infra/constructs/monitoring.js';

/** The app as `cdk synth` builds it (same feature flags from cdk.json), bundling skipped. */
const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;
const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
const { stack, revocation, reissue, sweep, api } = buildApp(app);
const template = Template.fromStack(stack);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

interface AlarmProps {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Statistic?: string;
  Period?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  EvaluationPeriods?: number;
  TreatMissingData?: string;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
}
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as AlarmProps);

/** Alarms on one metric of one resource, whose dimension `dimension` is a Ref to `id`. */
function alarmsOn(namespace: string, metricName: string, dimension: string, id: string): AlarmProps[] {
  return alarms.filter(
    (a) => a.Namespace === namespace && a.MetricName === metricName && a.Dimensions?.some((d) => d.Name === dimension && JSON.stringify(d.Value) === JSON.stringify({ Ref: id })),
  );
}

/** "It happened at least once in 5 minutes": a Sum ≥ 1 over one 300 s period, no data not breaching. */
const AT_LEAST_ONCE_IN_5_MINUTES = {
  Statistic: 'Sum',
  Period: 300,
  Threshold: 1,
  EvaluationPeriods: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'notBreaching',
};

// Every Lambda of the service is a ServiceFunction; the other Lambda functions in the template
// are CDK's own deploy-time handlers (S3 bucket notifications, the console's files, the CA
// publisher's trigger), which run only during a deployment.
const serviceFunctions = stack.node.findAll().filter((c): c is ServiceFunction => c instanceof ServiceFunction);
const functionIds = serviceFunctions.map(logicalId);
const lambdaResources = template.findResources('AWS::Lambda::Function');

describe('alarms on every Lambda function', () => {
  it('finds every ServiceFunction as a Lambda function in the template (the functions counted below)', () => {
    // One per API handler, the workflows' tasks, the letter processor, the scheduled sweep, the CA publisher and the user pool's Pre Token Generation trigger.
    expect(serviceFunctions.length).toBe(api.functions.size + revocation.functions.size + reissue.functions.size + 3 + api.issuerFunctions.length);
    for (const id of functionIds) expect(lambdaResources[id]?.Type, id).toBe('AWS::Lambda::Function');
  });

  it('has exactly one Errors alarm per function: ≥ 1 in 5 minutes, the sweep keeping its own hourly one', () => {
    const sweepId = logicalId(sweep.function);
    for (const id of functionIds) {
      const errors = alarmsOn('AWS/Lambda', 'Errors', 'FunctionName', id);
      expect(errors, id).toHaveLength(1);
      if (id === sweepId) expect(errors[0]).toMatchObject({ Statistic: 'Sum', Period: 3600, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      else expect(errors[0], id).toMatchObject(AT_LEAST_ONCE_IN_5_MINUTES);
    }
    expect(alarms.filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors')).toHaveLength(serviceFunctions.length);
  });

  it('has exactly one Throttles alarm per function: ≥ 1 in 5 minutes', () => {
    for (const id of functionIds) {
      const throttles = alarmsOn('AWS/Lambda', 'Throttles', 'FunctionName', id);
      expect(throttles, id).toHaveLength(1);
      expect(throttles[0], id).toMatchObject(AT_LEAST_ONCE_IN_5_MINUTES);
    }
    expect(alarms.filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Throttles')).toHaveLength(serviceFunctions.length);
  });
});

describe('alarms on the workflows', () => {
  const stateMachineIds = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));

  it('covers both state machines', () => {
    expect(stateMachineIds.sort()).toEqual([logicalId(revocation.stateMachine), logicalId(reissue.stateMachine)].sort());
  });

  it.each(['ExecutionsFailed', 'ExecutionsTimedOut'])('has one %s alarm per state machine: ≥ 1 in 5 minutes', (metricName) => {
    for (const id of stateMachineIds) {
      const found = alarmsOn('AWS/States', metricName, 'StateMachineArn', id);
      expect(found, id).toHaveLength(1);
      expect(found[0], id).toMatchObject(AT_LEAST_ONCE_IN_5_MINUTES);
    }
  });
});

describe('the review SLA', () => {
  it('alarms when the oldest pending review has waited more than 24 hours, on the metric the sweep publishes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Certrevoke',
      MetricName: 'OldestPendingReviewAgeSeconds',
      // Powertools Metrics adds the `service` dimension to every metric; the alarm must name it too.
      Dimensions: [{ Name: 'service', Value: 'certrevoke' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 86400,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
    });
    expect(alarms.filter((a) => a.Namespace === 'Certrevoke')).toHaveLength(1);
  });
});

describe('the other alarms', () => {
  it('alarms on HTTP API 5xx replies (handlers turn thrown errors into 500 replies, which Lambda does not count as Errors)', () => {
    const found = alarmsOn('AWS/ApiGateway', '5xx', 'ApiId', logicalId(api.httpApi));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject(AT_LEAST_ONCE_IN_5_MINUTES);
  });

  it('keeps one dead-letter alarm per queue (letters and the sweep), with no duplicate', () => {
    expect(alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
  });

  it('sends nothing anywhere yet: no topic, no alarm actions', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const a of alarms) {
      expect(a.AlarmActions ?? []).toEqual([]);
      expect(a.OKActions ?? []).toEqual([]);
    }
  });

  it('sends every alarm and its return to OK to the topic when one is given', () => {
    const testStack = new Stack(new App(), 'WithTopic');
    const topic = new Topic(testStack, 'Alarms');
    const fn = new LambdaFunction(testStack, 'Fn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: new InlineCode('exports.handler = async () => {}') });
    const stateMachine = new StateMachine(testStack, 'Machine', { definitionBody: DefinitionBody.fromChainable(new Pass(testStack, 'Pass')) });
    const monitoring = new Monitoring(testStack, 'Monitoring', { functions: [fn], stateMachines: [stateMachine], alarmTopic: topic });
    const topicRef = { Ref: testStack.getLogicalId(topic.node.defaultChild as CfnElement) };
    const withTopic = Template.fromStack(testStack);
    // Errors, Throttles, ExecutionsFailed, ExecutionsTimedOut and the review SLA.
    expect(monitoring.alarms).toHaveLength(5);
    withTopic.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    withTopic.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicRef], OKActions: [topicRef] });
    withTopic.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OldestPendingReviewAgeSeconds', AlarmActions: Match.arrayWith([topicRef]) });
  });

  it('sends every alarm of the app, the dead-letter and sweep alarms too, to the topic of -c alarmTopicArn', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:certrevoke-alarms';
    const withTopic = buildApp(new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], alarmTopicArn: topicArn } }));
    const all = Object.values(Template.fromStack(withTopic.stack).findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as AlarmProps);
    expect(all).toHaveLength(alarms.length);
    for (const a of all) {
      expect(a.AlarmActions).toEqual([topicArn]);
      expect(a.OKActions).toEqual([topicArn]);
    }
    expect(all.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
  });

  it('refuses an -c alarmTopicArn that is not an SNS topic ARN', () => {
    expect(() => buildApp(new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], alarmTopicArn: 'certrevoke-alarms' } }))).toThrow(/alarmTopicArn must be an SNS topic ARN/);
  });
});
