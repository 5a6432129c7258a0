using System.Diagnostics;
using EdramFer.Contracts;
using EdramFer.Training.Data;
using EdramFer.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

public sealed partial class Trainer
{
    /// <summary>What a run holds while it trains; <see cref="State"/> is what checkpoints save.</summary>
    sealed class Session(EdramNet model, OptimizerHelper optimizer, PreprocessedSet train, PreprocessedSet validation, string[] labels, Device device,
        int batches, ThreadTuner? tuner, Tensor classWeights, Generator generator, EdramNet? average) : IDisposable
    {
        public EdramNet Model { get; } = model;
        public OptimizerHelper Optimizer { get; } = optimizer;
        public PreprocessedSet Train { get; } = train;
        public PreprocessedSet Validation { get; } = validation;
        public string[] Labels { get; } = labels;
        public Device Device { get; } = device;
        /// <summary>Full batches per epoch (the ragged tail is dropped: batch norm needs full batches).</summary>
        public int Batches { get; } = batches;
        public ThreadTuner? Tuner { get; } = tuner;
        public Tensor ClassWeights { get; } = classWeights;
        /// <summary>Augmentation's generator, reseeded per batch so a resumed run augments alike.</summary>
        public Generator Generator { get; } = generator;
        public Augmenter Augmenter { get; } = new();
        /// <summary>The moving average of the weights (<see cref="TrainOptions.EmaDecay"/>), or null.</summary>
        public EdramNet? Average { get; } = average;
        /// <summary>What validation and the best checkpoint measure: the average where kept, else the trained weights.</summary>
        public EdramNet Evaluated => Average ?? Model;
        public required TrainState State { get; set; }
        /// <summary>Steps redone with oneDNN off since the epoch started or resumed (FiniteStep); logged per epoch.</summary>
        public int RedoneSteps { get; set; }

        public void Dispose()
        {
            ClassWeights.Dispose();
            Generator.Dispose();
        }
    }

    /// <summary>The running sums of an epoch's training: what a mid-epoch checkpoint keeps.</summary>
    readonly record struct EpochTally(double LossSum, long Correct, long Seen, double Seconds);

    /// <summary>Trains the epoch's remaining batches; null when cancelled (state saved at the batch reached).</summary>
    EpochTally? TrainEpoch(Session s, int epoch, CancellationToken cancel)
    {
        var opts = s.State.Options;
        var order = Shuffle(s.Train.Count, opts.Seed, epoch);
        double lossSum = s.State.EpochLossSum; long correct = s.State.EpochCorrect, seen = s.State.EpochSeen;
        var clock = Stopwatch.StartNew();
        double priorSeconds = s.State.EpochSeconds;
        s.Model.train();
        s.RedoneSteps = 0;
        for (int b = s.State.Batch; b < s.Batches; b++)
        {
            if (cancel.IsCancellationRequested)
            {
                SaveMidEpoch(s, epoch, b, new EpochTally(lossSum, correct, seen, priorSeconds + clock.Elapsed.TotalSeconds));
                return null;
            }
            s.Tuner?.BeforeBatch();
            if (opts.Schedule == LearningRateSchedule.Cosine)
            {
                s.State = s.State with { LearningRate = LearningRateSchedule.CosineAt(opts, epoch, b, s.Batches) };
                SetLearningRate(s.Optimizer, s.State.LearningRate);
            }
            var (loss, right) = TrainBatch(s, order.AsSpan(b * opts.BatchSize, opts.BatchSize), epoch, b);
            correct += right;
            lossSum += loss * opts.BatchSize;
            seen += opts.BatchSize;
            s.Tuner?.AfterBatch();
            double seconds = priorSeconds + clock.Elapsed.TotalSeconds;
            _progress?.Report(new TrainProgress("train", epoch + 1, opts.Epochs, b + 1, s.Batches, lossSum / seen, (double)correct / seen,
                seen / Math.Max(seconds, 1e-9), s.State.LearningRate));
            if (opts.CheckpointEveryBatches > 0 && (b + 1) % opts.CheckpointEveryBatches == 0 && b + 1 < s.Batches)
                SaveMidEpoch(s, epoch, b + 1, new EpochTally(lossSum, correct, seen, seconds));
        }
        return new EpochTally(lossSum, correct, seen, priorSeconds + clock.Elapsed.TotalSeconds);
    }

    /// <summary>One optimiser step; the batch's loss and how many of its last-step predictions were right.</summary>
    (float Loss, long Correct) TrainBatch(Session s, ReadOnlySpan<int> indices, int epoch, int batch)
    {
        var opts = s.State.Options;
        using var scope = NewDisposeScope();
        var (x, y, va) = Gather(s.Train, indices, s.Device);
        if (opts.Augment)
        {
            s.Generator.manual_seed(BatchSeed(opts.Seed, epoch, batch));
            x = s.Augmenter.Apply(x, s.Generator);
        }
        // The batch-norm statistics from before the pass, put back if it is redone (FiniteStep).
        var statistics = s.Model.buffers().Select(t => t.clone()).ToList();
        EdramOutput? output = null;
        LossTerms? loss = null;
        double Pass()
        {
            output?.Dispose(); loss?.Dispose();
            s.Optimizer.zero_grad();
            output = s.Model.forward(x);
            loss = EdramLoss.Compute(output, y, s.ClassWeights, s.State.HasValenceArousal ? va : null, opts.Loss);
            loss.Total.backward();
            return nn.utils.clip_grad_norm_(s.Model.parameters(), opts.GradientClip);
        }
        void Undo()
        {
            using var noGrad = no_grad();
            foreach (var (t, saved) in s.Model.buffers().Zip(statistics)) t.copy_(saved);
        }
        if (FiniteStep.Run(Pass, Undo, $"epoch {epoch + 1}, batch {batch + 1}")) s.RedoneSteps++;
        s.Optimizer.step();
        if (s.Average is { } average) WeightAverage.Update(average, s.Model, opts.EmaDecay);
        using (output) using (loss)
        {
            var pred = output!.StepLogits.select(1, output.StepLogits.shape[1] - 1).argmax(1);
            return (loss!.Total.item<float>(), pred.eq(y).sum().item<long>());
        }
    }

    /// <summary>
    /// Validation after recalibrating batch norm: plain and mirror-averaged metrics and where the glimpses went; null
    /// when cancelled (the epoch's training is kept, --resume starts at its validation).
    /// </summary>
    (ClassificationMetrics Plain, ClassificationMetrics Mirrored, EpochDiagnostics Diagnostics)? Validate(Session s, int epoch, EpochTally t, CancellationToken cancel)
    {
        var opts = s.State.Options;
        _progress?.Report(new TrainProgress("validate", epoch + 1, opts.Epochs, 0, 0, t.LossSum / t.Seen, (double)t.Correct / t.Seen, t.Seen / t.Seconds, s.State.LearningRate));
        try
        {
            double? movingAverageAccuracy = null;
            if (opts.BatchNormRecalibrationBatches > 0)
            {
                // The accuracy the moving averages give, kept in the log to show what recalibration changes.
                movingAverageAccuracy = Evaluator.Run(s.Evaluated, s.Validation, s.Labels, s.State.ClassWeights, opts.Loss, 256, s.Device, cancel).Metrics.Accuracy;
                BatchNormRecalibration.Run(s.Evaluated, s.Train, opts.BatchNormRecalibrationBatches, opts.BatchSize, opts.Seed, s.Device, cancel);
            }
            var (plain, mirrored) = Evaluator.RunWithMirror(s.Evaluated, s.Validation, s.Labels, s.State.ClassWeights, opts.Loss, 256, s.Device, cancel);
            return (plain.Metrics, mirrored.Metrics, EpochDiagnostics.From(plain.Predictions.Thetas, _config.InputSize, movingAverageAccuracy));
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            SaveMidEpoch(s, epoch, s.Batches, t);
            return null;
        }
    }

    /// <summary>Learning-rate schedule, best tracking, the epoch's log line and checkpoints.</summary>
    void EndEpoch(Session s, int epoch, EpochTally t, (ClassificationMetrics Plain, ClassificationMetrics Mirrored, EpochDiagnostics Diagnostics) v)
    {
        var opts = s.State.Options;
        var state = opts.Schedule == LearningRateSchedule.Plateau ? Plateau(s.State, v.Plain.Loss, opts) : s.State;
        SetLearningRate(s.Optimizer, state.LearningRate);
        bool best = v.Plain.Accuracy > state.BestAccuracy;
        s.State = state with
        {
            Epoch = epoch + 1, Batch = 0, EpochLossSum = 0, EpochCorrect = 0, EpochSeen = 0, EpochSeconds = 0, LastValidation = v.Plain, LastValidationFlip = v.Mirrored,
            BestAccuracy = best ? v.Plain.Accuracy : state.BestAccuracy, BestEpoch = best ? epoch + 1 : state.BestEpoch,
        };
        AppendEpochLog(epoch + 1, t, v.Plain, v.Mirrored, s.State.LearningRate, v.Diagnostics, s.RedoneSteps);
        if (best) Checkpoint.Save(BestPath, s.State, s.Model, s.Optimizer, s.Average);
        Checkpoint.Save(LastPath, s.State, s.Model, s.Optimizer, s.Average);
        _progress?.Report(new TrainProgress("epoch", epoch + 1, opts.Epochs, s.Batches, s.Batches, t.LossSum / t.Seen, (double)t.Correct / t.Seen,
            t.Seen / t.Seconds, s.State.LearningRate, v.Plain));
    }

    /// <summary>last.ckpt at (epoch, batch) with the epoch's running sums, so --resume continues exactly there.</summary>
    void SaveMidEpoch(Session s, int epoch, int batch, EpochTally t)
    {
        s.State = s.State with { Epoch = epoch, Batch = batch, EpochLossSum = t.LossSum, EpochCorrect = t.Correct, EpochSeen = t.Seen, EpochSeconds = t.Seconds };
        Checkpoint.Save(LastPath, s.State, s.Model, s.Optimizer, s.Average);
    }

    void AppendEpochLog(int epoch, EpochTally t, ClassificationMetrics val, ClassificationMetrics flip, double lr, EpochDiagnostics d, int redone)
    {
        var line = RunLog.ToLine(new EpochRecord
        {
            Epoch = epoch, TrainLoss = t.LossSum / t.Seen, TrainAccuracy = (double)t.Correct / t.Seen, ValidationLoss = val.Loss, ValidationAccuracy = val.Accuracy,
            ValidationMeanPerClassAccuracy = val.MeanPerClassAccuracy, ValidationAccuracyFlip = flip.Accuracy,
            ValidationMeanPerClassAccuracyFlip = flip.MeanPerClassAccuracy, ValidationAccuracyMovingAverageBatchNorm = d.MovingAverageAccuracy,
            MedianScaleByStep = d.MedianScale, MeanShiftPixelsByStep = d.MeanShiftPixels,
            LearningRate = lr, Seconds = t.Seconds, ImagesPerSecond = t.Seen / t.Seconds, StepsRedoneWithoutOneDnn = redone,
        });
        File.AppendAllText(Path.Combine(_runDir, RunLog.EpochsFile), line + "\n");
    }
}
