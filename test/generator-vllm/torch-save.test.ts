import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  crc32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  promptEmbedsBase64,
  type TorchDtype,
  torchSave,
} from "../../src/generator/torch-save.js";
import { Rng } from "../../src/util/rng.js";
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  readPickle,
  readZipStored,
  torchLoad,
} from "../helpers/torch-load.js";

function randomTensor(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * 3;
  return out;
}

const python = spawnSync("python3", ["-c", "import zipfile, pickletools, struct"], { encoding: "utf8" });
const hasPython = python.status === 0;
if (!hasPython) console.warn("python3 not available: skipping the zipfile/pickletools cross-checks");

describe("torchSave / torchLoad", () => {
  it("round-trips a float32 (seq, hidden) tensor exactly", () => {
    const data = randomTensor(7 * 12, 1);
    const t = torchLoad(torchSave(data, [7, 12]));
    expect(t.dtype).toBe("float32");
    expect(t.shape).toEqual([7, 12]);
    expect(t.stride).toEqual([12, 1]);
    expect(t.storageOffset).toBe(0);
    expect(Array.from(t.data)).toEqual(Array.from(data));
  });

  it("writes the archive records torch.save writes, data 64-byte aligned", () => {
    const bytes = torchSave(randomTensor(3 * 5, 2), [3, 5]);
    const entries = readZipStored(bytes);
    expect(entries.map((e) => e.name)).toEqual([
      "archive/data.pkl",
      "archive/byteorder",
      "archive/data/0",
      "archive/version",
    ]);
    for (const e of entries) expect(e.dataOffset % 64).toBe(0);
    expect(Buffer.from(entries[1].data).toString()).toBe("little");
    expect(Buffer.from(entries[3].data).toString()).toBe("3\n");
    expect(entries[2].data.length).toBe(15 * 4);
  });

  it("pickles a _rebuild_tensor_v2 call with protocol 2 and int widths for large dims", () => {
    const seq = 300;
    const hidden = 896; // BININT2; numel 268800 needs BININT
    const bytes = torchSave(new Float32Array(seq * hidden), [seq, hidden]);
    const pkl = readZipStored(bytes)[0].data;
    const ops: number[] = [];
    const v = readPickle(pkl, ops);
    expect(ops[0]).toBe(0x80);
    expect(pkl[1]).toBe(2);
    expect(ops.at(-1)).toBe(0x2e);
    expect(ops).toContain(0x4a);
    expect(ops).toContain(0x4d);
    expect(v).toMatchObject({
      kind: "call",
      fn: { kind: "global", module: "torch._utils", name: "_rebuild_tensor_v2" },
      args: [
        {
          kind: "persid",
          id: [
            "storage",
            { kind: "global", module: "torch", name: "FloatStorage" },
            "0",
            "cpu",
            seq * hidden,
          ],
        },
        0,
        [seq, hidden],
        [hidden, 1],
        false,
        { kind: "call", fn: { kind: "global", module: "collections", name: "OrderedDict" }, args: [] },
      ],
    });
  });

  it("supports a leading batch dimension", () => {
    const data = randomTensor(1 * 4 * 6, 3);
    const t = torchLoad(torchSave(data, [1, 4, 6]));
    expect(t.shape).toEqual([1, 4, 6]);
    expect(t.stride).toEqual([24, 6, 1]);
    expect(Array.from(t.data)).toEqual(Array.from(data));
  });

  it.each<[TorchDtype, string, number]>([
    ["float16", "HalfStorage", 2 ** -10],
    ["bfloat16", "BFloat16Storage", 2 ** -7],
  ])("round-trips %s within its precision", (dtype, storage, relTol) => {
    const data = randomTensor(5 * 9, 4);
    const bytes = torchSave(data, [5, 9], dtype);
    const t = torchLoad(bytes);
    expect(t.dtype).toBe(dtype);
    expect(t.storageBytes.length).toBe(45 * 2);
    expect(Buffer.from(readZipStored(bytes)[0].data).toString("latin1")).toContain(storage);
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs(t.data[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * relTol + 1e-7);
    }
  });

  it("converts to float16 bit patterns with round-to-nearest-even, overflow and subnormals", () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(0.1)).toBe(0x2e66);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0x0000);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(float32ToFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    for (const h of [0x0001, 0x03ff, 0x0400, 0x3c00, 0x3555, 0x7bff, 0xc123]) {
      expect(float32ToFloat16Bits(float16BitsToFloat32(h))).toBe(h);
    }
  });

  it("converts to bfloat16 bit patterns with round-to-nearest-even", () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(-3)).toBe(0xc040);
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(Number.NaN)))).toBe(true);
  });

  it("computes the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("rejects data that does not fill the shape", () => {
    expect(() => torchSave(new Float32Array(5), [2, 3])).toThrow(/do not fill shape \[2, 3\]/);
  });

  it("detects a corrupted archive", () => {
    const bytes = torchSave(randomTensor(8, 5), [2, 4]);
    const entries = readZipStored(bytes);
    bytes[entries[2].dataOffset] ^= 0xff;
    expect(() => torchLoad(bytes)).toThrow(/CRC mismatch for archive\/data\/0/);
  });

  it.skipIf(!hasPython)("is a valid zip and pickle for python's zipfile, pickletools and Unpickler", () => {
    const data = randomTensor(6 * 10, 6);
    const script = String.raw`
import base64, io, pickle, pickletools, struct, sys, zipfile, json
raw = base64.b64decode(sys.stdin.read())
z = zipfile.ZipFile(io.BytesIO(raw))
assert z.testzip() is None
names = z.namelist()
pkl = z.read("archive/data.pkl")
out = io.StringIO()
pickletools.dis(pkl, out=out)
class Storage:
    def __init__(self, cls): self.cls = cls
def rebuild(storage, offset, size, stride, requires_grad, hooks):
    return {"storage": storage, "offset": offset, "size": list(size), "stride": list(stride),
            "requires_grad": requires_grad, "hooks": len(hooks)}
class U(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"): return rebuild
        if (module, name) == ("collections", "OrderedDict"):
            import collections; return collections.OrderedDict
        if module == "torch" and name.endswith("Storage"): return name
        raise pickle.UnpicklingError(module + "." + name)
    def persistent_load(self, pid):
        tag, cls, key, loc, numel = pid
        b = z.read("archive/data/" + key)
        assert len(b) == numel * 4, (len(b), numel)
        return {"cls": cls, "loc": loc, "values": list(struct.unpack("<%df" % numel, b))}
t = U(io.BytesIO(pkl)).load()
print(json.dumps({"names": names, "ops": out.getvalue().count("\n"), "t": t}))
`;
    const r = spawnSync("python3", ["-c", script], {
      input: promptEmbedsBase64(data, 6, 10),
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.names).toEqual(["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/version"]);
    expect(res.ops).toBeGreaterThan(10);
    expect(res.t.size).toEqual([6, 10]);
    expect(res.t.stride).toEqual([10, 1]);
    expect(res.t.offset).toBe(0);
    expect(res.t.requires_grad).toBe(false);
    expect(res.t.hooks).toBe(0);
    expect(res.t.storage.cls).toBe("FloatStorage");
    expect(res.t.storage.loc).toBe("cpu");
    expect(res.t.storage.values).toEqual(Array.from(data));
  });
});
