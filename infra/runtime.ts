/**
 * The Node.js major the deployed code runs on: the Lambda runtime of the augmenter, the esbuild target
 * of its bundle and the Node the gateway instances install. Node 20 reached end of life in April 2026
 * and Lambda retires `nodejs20.x`; 22 is in maintenance LTS until April 2027. The emulated AWS stack
 * (`npm run start:aws-emulated`) runs the bundle under this major.
 */
export const NODE_MAJOR = 22;

/** Lambda runtime identifier for {@link NODE_MAJOR}. */
export const LAMBDA_RUNTIME = `nodejs${NODE_MAJOR}.x`;
