/** The scale-out backend: embeddings built locally, decoding on a vLLM server (`vllmUrl`). */
import { UserError } from "../../util/errors.js";
import { type GeneratorBackend, localGeneratorOptions } from "../backend.js";

export const vllmBackend: GeneratorBackend = {
  name: "vllm",
  description: "decode on a vLLM server started with --enable-prompt-embeds (vllmUrl, vllmModel)",
  accepts: (o) => typeof o.vllmUrl === "string",
  async open(o) {
    const fromHub = o.source.startsWith("hf:") ? o.source.slice(3).replace(/@.*$/, "") : undefined;
    const model = o.vllmModel ?? fromHub;
    if (!model)
      throw new UserError("vllmModel (--vllm-model) is required when the generator is a local folder");
    const { loadVllmGenerator } = await import("../vllm-generator.js");
    const env = o.env ?? process.env;
    return loadVllmGenerator(o.source, {
      ...localGeneratorOptions(o),
      vllm: { baseURL: o.vllmUrl!, model, apiKey: env.VLLM_API_KEY || undefined },
    });
  },
};
