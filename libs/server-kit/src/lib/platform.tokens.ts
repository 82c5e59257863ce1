/** Injection token of the validated CommonConfig (PlatformModule provides it). */
export const COMMON_CONFIG = Symbol('COMMON_CONFIG');
