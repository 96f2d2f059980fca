/** The default backend: the generator runs in-process on onnxruntime-node (loaded on first use). */
import { type GeneratorBackend, localGeneratorOptions } from "../backend.js";

export const onnxBackend: GeneratorBackend = {
  name: "onnx",
  description: "decode on this machine with onnxruntime-node (transformers.js/Optimum model folders)",
  accepts: () => true,
  async open(o) {
    const { loadGenerator } = await import("../generator.js");
    return loadGenerator(o.source, localGeneratorOptions(o));
  },
};
