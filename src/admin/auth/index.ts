// Authentication primitives for the management API: header parsing, stored-secret
// verification, login tokens, API keys and the failed-login ban. No I/O, no state on disk.
export { parseAuthorization, type Credentials } from './basic.js';
export { hashPassword, isPlaintextSecret, secretFormat, verifySecret, type SecretFormat } from './hashes.js';
export { TokenIssuer, type IssuedToken } from './tokens.js';
export { generateApiKey, hashApiKeySecret, parseApiKeyToken, verifyApiKeySecret, type ApiKey } from './apikeys.js';
export { AuthFailureTracker, isLoopback, type AuthFailureRate } from './failures.js';
