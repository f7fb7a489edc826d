/** fauxqs and dynalite accept any key; the SDK still wants one. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'emulated', secretAccessKey: 'emulated' } as const;
