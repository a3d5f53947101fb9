/** AdmissionError: the API server refused an object (conflict, immutable field, missing namespace, exhaustion). */

/** AdmissionError is an object the control plane refused, naming the object and field. */
export class AdmissionError extends Error {
  constructor(ref: string, field: string, reason: string) {
    super(`${ref} is invalid: ${field}: ${reason}`);
    this.name = "AdmissionError";
  }
}
