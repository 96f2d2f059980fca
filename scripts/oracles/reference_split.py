"""Oracle for the reference split rule (`--split-rule reference`, `--preset paper`).

Implements, with CPython's own `random`, what the reference implementation (InstructZero's
run_instructzero.py with APE's data.create_split / data.subsample_data, misc.get_conf) does with a
task's instruction-induction files, and prints the resulting splits as JSON:

1. load_data: examples "1".."n" in order; input/answers per task ([output], possible_translations, ...);
2. create_split: random.seed(0); indices = random.sample(range(n), min(int(n * 0.5), 100));
   prompt-generation set = those examples, evaluation pool = the rest in file order;
3. each prompt-generation example keeps random.sample(answers, 1)[0];
4. demos: data.subsample_data(prompt_gen_data, num_demos) (num_demos 5);
5. validation: the first candidate's data.subsample_data(eval_data, min(20, len(eval_data)));
6. test: data.subsample_data(test_data, min(100, len(test_data))) drawn next.

Usage: python3 scripts/oracles/reference_split.py DATA_DIR TASK [TASK...] > expected.json
(DATA_DIR holds instruction-induction/induce and /execute). The test fixture
test/fixtures/tasks/reference-split/expected.json was made with:
  python3 scripts/oracles/reference_split.py test/fixtures/tasks/reference-split antonyms translation_en-fr larger_animal
"""
import json
import random
import sys


def load(path, task):
    examples = json.load(open(path, encoding="utf-8"))["examples"]
    inputs, outputs = [], []
    for i in range(len(examples)):
        data = examples[str(i + 1)]
        if task == "rhymes":
            inp, out = data["input"], data["other_rhymes"]
        elif "translation" in task:
            inp, out = data["input"], data["possible_translations"]
        else:
            inp, out = data["input"], [data["output"]]
        inputs.append(inp)
        outputs.append(out)
    return inputs, outputs


def create_split(data, split_size):
    random.seed(0)
    inputs, outputs = data
    indices = random.sample(range(len(inputs)), split_size)
    inputs1 = [inputs[i] for i in indices]
    outputs1 = [outputs[i] for i in indices]
    inputs2 = [inputs[i] for i in range(len(inputs)) if i not in indices]
    outputs2 = [outputs[i] for i in range(len(inputs)) if i not in indices]
    return (inputs1, outputs1), (inputs2, outputs2)


def subsample_data(data, subsample_size):
    inputs, outputs = data
    indices = random.sample(range(len(inputs)), subsample_size)
    return [inputs[i] for i in indices], [outputs[i] for i in indices]


def split(data_dir, task, num_demos=5):
    base = f"{data_dir}/instruction-induction"
    induce = load(f"{base}/induce/{task}.json", task)
    test_data = load(f"{base}/execute/{task}.json", task)
    prompt_gen_size = min(int(len(induce[0]) * 0.5), 100)
    prompt_gen, eval_data = create_split(induce, prompt_gen_size)
    prompt_gen = prompt_gen[0], [random.sample(output, 1)[0] for output in prompt_gen[1]]
    demos = subsample_data(prompt_gen, num_demos)
    validation = subsample_data(eval_data, min(20, len(eval_data[0])))
    test = subsample_data(test_data, min(100, len(test_data[0])))
    pairs = lambda d: [{"input": i, "answers": o} for i, o in zip(*d)]
    return {
        "promptGen": [{"input": i, "answers": [o]} for i, o in zip(*prompt_gen)],
        "demos": [{"input": i, "output": o} for i, o in zip(*demos)],
        "validation": pairs(validation),
        "test": pairs(test),
    }


if __name__ == "__main__":
    data_dir, tasks = sys.argv[1], sys.argv[2:]
    json.dump({t: split(data_dir, t) for t in tasks}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
