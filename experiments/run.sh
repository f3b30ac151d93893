#!/bin/bash
# The distribution-matching experiments of docs/RESULTS.md (issues #5 and #6), in order.
# Needs the PEP8 MLE prior (runs/pretrain-pep8/model):
#   node dist/src/cli/main.js data prepare pep8
#   node dist/src/cli/main.js pretrain --config examples/pretrain-pep8.yaml
# and the CDPG contexts (committed; made by):
#   node dist/src/cli/main.js data signatures --corpus .cache/data/pep8 --split validation --max 256 --tokenizer runs/pretrain-pep8/model/tokenizer.json --max-tokens 64 --out experiments/cdpg/contexts-train.jsonl
#   node dist/src/cli/main.js data signatures --corpus .cache/data/pep8 --split test --max 64 --tokenizer runs/pretrain-pep8/model/tokenizer.json --max-tokens 64 --out experiments/cdpg/contexts-heldout.jsonl
# Usage: bash experiments/run.sh [pointwise|gdc|pep8-clean|cdpg]...  (default: all four)
# Tables go to experiments/results/<name>.{md,json}; tuned models to runs/experiments/.
set -euo pipefail
cd "$(dirname "$0")/.."
compare() { node dist/experiments/compare.js "$@"; }
experiments=("$@")
[ ${#experiments[@]} -eq 0 ] && experiments=(pointwise gdc pep8-clean cdpg)
for n in "${experiments[@]}"; do
  case $n in
    pointwise) compare --title 'Pointwise: the sample contains "raise"' --target experiments/pointwise/target.yaml \
      --out experiments/results/pointwise experiments/pointwise/{dpg,kl-dpg,reinforce,reinforce-kl}{-lr2e-5,}.yaml ;;
    gdc) compare --title 'Distributional (GDC): half of the samples contain "raise"' --target experiments/gdc/target.yaml \
      --columns moment/raise --out experiments/results/gdc experiments/gdc/gdc{-lr2e-5,}.yaml ;;
    pep8-clean) compare --title 'PEP8-clean code: f-DPG with every divergence, QRS on each policy (β = 1)' --target experiments/pep8-clean/target.yaml \
      --qrs-beta 1 --qrs-draws 1024 --out experiments/results/pep8-clean experiments/pep8-clean/f-dpg-*.yaml ;;
    cdpg) compare --title 'CDPG on code: held-out signatures, compiles ∧ pep8-clean' --target experiments/cdpg/target-both-heldout.yaml \
      --samples 16 --contexts 32 --columns moment/compiles,moment/pep8-clean --out experiments/results/cdpg \
      experiments/cdpg/{cdpg-compiles,cdpg-pep8}.yaml examples/cdpg-code.yaml experiments/cdpg/{dpg-both,reinforce-kl-both}.yaml ;;
    *) echo "unknown experiment '$n'; the experiments are pointwise, gdc, pep8-clean and cdpg" >&2; exit 1 ;;
  esac
done
