// Failures the proxy maps to protocol errors. They cross the Convex call as a
// ConvexError's data ({code, message, path}), which Convex returns as
// `errorData`; anything else thrown is an upstream fault.
import { ConvexError } from "convex/values";

export class PlanError extends Error {
  constructor(readonly code: string, message: string, readonly path: string | null) {
    super(message);
  }
}

export const queryError = (message: string, path: string | null = "") => new PlanError("INVALID_QUERY", message, path);
export const conflict = (message: string, path: string) => new PlanError("CONFLICT", message, path);
export const invalidValue = (message: string, path: string) => new PlanError("INVALID_VALUE", message, path);
// A required one relation found nothing (executor.cpp's missing_required).
export const missingRequired = (relation: string, parent: { _id?: unknown }) =>
  new PlanError(
    "UPSTREAM_ERROR",
    `relation '${relation}' is declared "optional": false, but row ${String(parent._id)} has no ${relation} (a dangling reference)`,
    null,
  );
export const forbidden = (message: string, path: string) => new PlanError("FORBIDDEN", message, path);

// Runs `fn`, turning a PlanError into a ConvexError. A mutation that throws
// commits nothing, so a failed plan leaves nothing behind.
export async function reported<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PlanError) throw new ConvexError({ code: e.code, message: e.message, path: e.path });
    throw e;
  }
}

// RFC 6901: one reference token appended to a JSON Pointer.
export const pointerAppend = (pointer: string, token: string | number) =>
  `${pointer}/${String(token).replace(/~/g, "~0").replace(/\//g, "~1")}`;
