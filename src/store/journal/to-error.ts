// Turns whatever was thrown into an Error, for error hooks typed `(error: Error) => void`.

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
