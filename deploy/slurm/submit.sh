#!/usr/bin/env bash
# Scores a CSV of images as a Slurm array job of N shards, then merges them in a dependent job:
#   deploy/slurm/submit.sh N MODEL INPUT OUT [edram score options...]
# e.g. deploy/slurm/submit.sh 16 onnx/edram-fer2013.onnx /data/frames.csv /data/out --batch-size 32
# EDRAM is the command to run (default: edram on PATH; e.g. "dotnet /opt/edram/edram.dll"). Prints the two job ids.
# To redo one shard (say 3) after a failure: the same variables exported, sbatch --array=3 --export=ALL
# score-shard.sbatch, then merge.sbatch; the shard resumes from its partial file.
set -euo pipefail
n=${1:?shards}; model=$(realpath "${2:?model}"); input=$(realpath "${3:?input CSV}"); out=$(realpath -m "${4:?output folder}")
shift 4
here=$(dirname "$(realpath "$0")")
mkdir -p "$out"
export EDRAM=${EDRAM:-edram} MODEL=$model INPUT=$input OUT=$out SHARDS=$n EDRAM_ARGS="$*"
array=$(sbatch --parsable --chdir="$out" --array=0-$((n - 1)) --export=ALL "$here/score-shard.sbatch")
merge=$(sbatch --parsable --chdir="$out" --dependency=afterok:"$array" --export=ALL "$here/merge.sbatch")
echo "$array $merge"
