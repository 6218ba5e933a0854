declare module 'asl-validator' {
  interface AslValidatorError {
    message?: string;
    'Error code'?: string;
    Message?: string;
    [key: string]: unknown;
  }
  interface AslValidatorResult {
    isValid: boolean;
    errors: AslValidatorError[];
    errorsText: (separator?: string) => string;
  }
  const aslValidator: (definition: unknown, options?: Record<string, unknown>) => AslValidatorResult;
  export default aslValidator;
}
