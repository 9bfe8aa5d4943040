/** The fixed names the test stand-ins use; the endpoints are chosen at start-up (free ports). */
export const TEST_REGION = 'eu-central-1';
export const TEST_TABLE = 'rotor-test';
export const TEST_TOKEN_PREFIX = 'rtr_';
export const TEST_SECRET_PREFIX = 'rotor/';
/** The rotation function the Secrets Manager emulator calls: the real hook handler, in process. */
export const TEST_HOOK_ARN = `arn:aws:lambda:${TEST_REGION}:123456789012:function:rotor-rotation-hook`;
/**
 * A rotation function that does nothing: RotateSecret then only makes the empty AWSPENDING version,
 * and a test drives the real hook's steps itself, one by one.
 */
export const TEST_MANUAL_ARN = `arn:aws:lambda:${TEST_REGION}:123456789012:function:rotor-steps-by-hand`;
/** The state machine the hook hands a Secrets Manager-started rotation to, in the hook's own tests. */
export const TEST_ROTATION_WORKFLOW_ARN = `arn:aws:states:${TEST_REGION}:123456789012:stateMachine:rotor-rotation-stand-in`;
