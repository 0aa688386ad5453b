/** The bytes the audit reads candle files by (ASCII codes), named once for all its readers. */
export const NL = 10;
export const CR = 13;
export const PLUS = 43;
export const COMMA = 44;
export const DASH = 45;
export const DOT = 46;
export const ZERO = 48;
export const NINE = 57;
export const COLON = 58;
export const TEE = 84;
export const ZED = 90;
