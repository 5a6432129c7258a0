using System.Globalization;
using EdramFer.Training.Model;

namespace EdramFer.Training.Train;

/// <summary>
/// One forward/backward pass whose gradients must be finite before the optimiser steps. oneDNN's convolution backward
/// sometimes returns NaN on some CPUs (<see cref="OneDnnSwitch"/>); such a pass is undone and run again with oneDNN
/// off. If that one is not finite either, the run has diverged and stops before the weights are spoiled.
/// </summary>
public static class FiniteStep
{
    /// <summary>
    /// Runs <paramref name="pass"/> (returns the gradient norm); when it is not finite, calls <paramref name="undo"/>
    /// and runs it again with oneDNN off. Returns whether it was redone.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The gradients were not finite with oneDNN off either.</exception>
    public static bool Run(Func<double> pass, Action undo, string where)
    {
        double norm = pass();
        if (double.IsFinite(norm)) return false;
        undo();
        using (OneDnnSwitch.Off())
        {
            double again = pass();
            if (double.IsFinite(again)) return true;
            var norms = string.Create(CultureInfo.InvariantCulture, $"was {norm} and, redone without oneDNN, {again}");
            throw new TrainingDivergedException($"Training diverged at {where}: the gradient norm {norms}. " +
                "The weights were not updated with it and the saved checkpoints are intact; try a lower --lr.");
        }
    }
}

/// <summary>The gradients stayed non-finite after the step was redone: the run cannot go on as set.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);
