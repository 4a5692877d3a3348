// Every failure is a DrizzleConvexError: `code` is the protocol's
// (INVALID_QUERY, CONFLICT, ...), or NETWORK_ERROR / TIMEOUT / ABORTED when
// no answer came; `status` is the HTTP status (0 without an answer).
export class DrizzleConvexError extends Error {
  readonly code: string;
  readonly status: number;
  readonly path: string | null;
  readonly retryAfter: number | null; // seconds, from Retry-After

  constructor(init: { code: string; status: number; message: string; path?: string | null; retryAfter?: number | null; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "DrizzleConvexError";
    this.code = init.code;
    this.status = init.status;
    this.path = init.path ?? null;
    this.retryAfter = init.retryAfter ?? null;
  }

  // No answer from the server (as opposed to an answer that is an error).
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}
