/** asl-validator 4 ships no types: the part of its API the infra tests use (see its README). */
declare module 'asl-validator' {
  interface ValidatorOptions {
    /** Checks JSONPath expressions. */
    checkPaths: boolean;
    /** Checks Task `Resource` values are ARNs (or `${…}` substitutions). */
    checkArn: boolean;
  }
  interface ValidationResult {
    isValid: boolean;
    errors: { 'Error code': string; Message: string }[];
    errorsText(separator?: string): string;
  }
  /** Validates a parsed definition. It adds a default `QueryLanguage` to every state, so pass a copy. */
  function aslValidator(definition: object, options?: ValidatorOptions): ValidationResult;
  export = aslValidator;
}
