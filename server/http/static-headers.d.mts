/** Types of static-headers.mjs (plain JavaScript for next.config.js). */
export declare const EVERY_RESPONSE: readonly (readonly [string, string])[];
export declare const API_RESPONSE: readonly (readonly [string, string])[];
export declare const HTTPS_RESPONSE: readonly (readonly [string, string])[];
