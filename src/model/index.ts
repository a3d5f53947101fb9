/** The cluster model: object types, validation, defaulting and manifest parsing. */

export { applyDefaults } from "./defaults.js";
export * from "./kinds.js";
export { ManifestError, type ParsedDoc, parseManifest } from "./parse.js";
export * from "./selector.js";
export { subnetCidrs } from "./subnet.js";
export * from "./types.js";
export { objectRef, ValidationError, validateObject } from "./validate/index.js";
