/** The tag that names a Rotor function's handler folder (`lambda/<handler>`); local mode reads it. */
export const HANDLER_TAG = 'rotor:handler';
