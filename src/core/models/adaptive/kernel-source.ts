/**
 * Compiles the scoring kernel's text (kernel.wat) to WebAssembly bytes with wabt, a development
 * dependency: used by scripts/build-kernel.ts and by the test that keeps kernel-wasm.ts in step
 * with the text. Not part of the service's run time.
 */
export async function compileKernel(text: string): Promise<Uint8Array> {
  const { default: init } = (await import('wabt')) as { default: () => Promise<WabtModule> };
  const wabt = await init();
  const module = wabt.parseWat('kernel.wat', text);
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

interface WabtModule {
  parseWat(filename: string, text: string): {
    validate(): void;
    toBinary(options: object): { buffer: Uint8Array };
    destroy(): void;
  };
}
