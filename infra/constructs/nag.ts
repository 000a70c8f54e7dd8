import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag AwsSolutions finding on a construct and everything under it, with the
 * reason it stands. `rule` is the rule id and, for granular rules, the finding, exactly as the
 * report prints it after `AwsSolutions::`: `AwsSolutions-L1`, `AwsSolutions-IAM5[Resource::*]`.
 * Keep it next to the resource and as narrow as the finding allows.
 */
export function acknowledge(scope: IConstruct, rule: `AwsSolutions-${string}`, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason });
}

/**
 * The AwsSolutions-IAM5 finding for a wildcard resource, as cdk-nag writes it:
 * `bucket.arnForObjects('uploads/*')` is `Resource::<StatefulLetterIntake….Arn>/uploads/*`.
 * Resolved now, so call it once the resource's logical id is final (it is unless overridden).
 */
export function wildcardResourceFinding(scope: IConstruct, arn: string): `AwsSolutions-IAM5[${string}]` {
  return `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(arn))}]`;
}

/** cdk-nag's flattening of a CloudFormation reference: `<Id.Attr>` for GetAtt, `<Id>` for Ref, joins joined. */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const value = node as Record<string, unknown>;
    if (Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if ('Fn::Sub' in value) return flattenReference(value['Fn::Sub']);
    if (Array.isArray(value['Fn::GetAtt'])) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if ('Fn::ImportValue' in value) return flattenReference(value['Fn::ImportValue']);
    if ('Ref' in value) return `<${flattenReference(value.Ref)}>`;
  }
  return JSON.stringify(node);
}
