import { readFileSync } from 'node:fs';
import { App, Stack, Stage, Validations } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildApp, checkWithNag } from '../../infra/app.js';

const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;
const newApp = () => new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });

/** Synthesizes the app as `npm run synth` does (bundling skipped) with cdk-nag; the validation report when it fails. */
function synthWithNag(): string {
  const app = newApp();
  buildApp(app);
  checkWithNag(app);
  try {
    app.synth();
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

/** Every acknowledgment recorded anywhere in the app: its construct path, rule id and reason, and whether it is on a stage or stack. */
function acknowledgments(): { path: string; rule: string; reason: unknown; wholesale: boolean }[] {
  const app = newApp();
  buildApp(app);
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([rule, reason]) => ({
          path: construct.node.path || '(app)',
          rule,
          reason,
          wholesale: Stage.isStage(construct) || Stack.isStack(construct),
        })),
      ),
  );
}

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged anywhere in the app, so synth passes', () => {
    expect(synthWithNag()).toBe('');
  });

  it('is acknowledged only on resources, never for the whole app or stack', () => {
    const all = acknowledgments();
    expect(all.length).toBeGreaterThan(0);
    for (const { path, rule, wholesale } of all) expect(wholesale, `${rule} on ${path}`).toBe(false);
  });

  it('acknowledges the granular rules (IAM4 managed policies, IAM5 wildcards) finding by finding, never the whole rule', () => {
    for (const { path, rule } of acknowledgments().filter((a) => /AwsSolutions-IAM[45]\b/.test(a.rule))) {
      expect(rule, path).toMatch(/^AwsSolutions::AwsSolutions-IAM[45]\[(Policy|Action|Resource)::.+\]$/);
    }
  });

  it('gives every acknowledgment a reason of its own (a sentence, not a placeholder)', () => {
    for (const { path, rule, reason } of acknowledgments()) {
      expect(typeof reason, `${rule} on ${path}`).toBe('string');
      expect((reason as string).length, `${rule} on ${path}`).toBeGreaterThanOrEqual(40);
    }
  });
});
