import { toClientError } from '../../errors/AppError.ts';

/** The `UploadError` member of `UploadSalesDataResult`: a refused upload answered in the result, not as an error. */
export interface UploadErrorValue {
  __typename: 'UploadError';
  code: string;
  message: string;
  details: string | null;
  errorId: string | null;
}

export function uploadErrorOf(
  error: unknown,
  log: { error: (o: object, m: string) => void; warn: (o: object, m: string) => void },
): UploadErrorValue {
  const shown = toClientError(error, log);
  return {
    __typename: 'UploadError',
    code: shown.code,
    message: shown.message,
    details: shown.details,
    errorId: shown.errorId,
  };
}
