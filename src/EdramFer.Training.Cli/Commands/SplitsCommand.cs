using System.ComponentModel;
using EdramFer.Training.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Training.Cli.Commands;

/// <summary>
/// <c>edram-train splits</c>: lists a dataset's images with the split training uses for them (train, validation,
/// test) as a CSV that <c>edram evaluate</c>, <c>edram score</c> and <c>edram quantize</c> read, so a model is judged
/// on the very validation images its epochs were chosen by, in any process. Exit 1: unreadable dataset, or one that
/// stores pixels instead of image files (fer2013.csv).
/// </summary>
public sealed class SplitsCommand(IAnsiConsole console) : Command<SplitsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--dataset <SPEC>"), Description("fer2013:DIR | affectnet:DIR | csv:FILE | folder:DIR, as for train")]
        public string Dataset { get; init; } = "";
        [CommandOption("--validation <SPEC>"), Description("Validation set (csv:FILE or folder:DIR), as for train")]
        public string? Validation { get; init; }
        [CommandOption("--classes <LIST>"), Description("csv: datasets: the classes, as for train, or 'infer'")]
        public string? Classes { get; init; }
        [CommandOption("--output <CSV>"), Description("The CSV to write: path,label,split")]
        public string Output { get; init; } = "";

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Dataset)) return ValidationResult.Error("--dataset is required, e.g. --dataset fer2013:../shared/data/fer2013");
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the CSV to write)");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        DatasetDescription d;
        try
        {
            // Read as a training run with these options reads it (default split seed): the same rows.
            d = new Train.TrainOptions
            {
                Dataset = s.Dataset, Validation = s.Validation, Classes = TrainCommand.ClassList(s.Classes), InferClasses = s.Classes == "infer",
            }.ReadDataset();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException)
        {
            console.MarkupLine($"[red]{e.Message.EscapeMarkup()}[/]");
            return 1;
        }
        var splits = new[] { ("train", d.Train), ("validation", d.Validation), ("test", d.Test) };
        if (splits.SelectMany(x => x.Item2.Samples).FirstOrDefault(x => x.Pixels is not null) is { } pixels)
        {
            console.MarkupLine($"[red]{s.Dataset.EscapeMarkup()} stores pixels, not image files ({pixels.Source.EscapeMarkup()}): splits lists files; use the folder layout (train/, test/)[/]");
            return 1;
        }
        var full = Path.GetFullPath(s.Output);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        using (var w = CsvHelper.CsvWriter.Create(File.Create(temp), null, leaveOpen: false))
        {
            w.WriteRecord(["path", "label", "split"]);
            foreach (var (name, split) in splits)
                foreach (var sample in split.Samples) w.WriteRecord([sample.Source, d.Labels[sample.Label], name]);
        }
        File.Move(temp, full, overwrite: true);
        var table = new Table().AddColumns("split", "images", "unusable rows");
        foreach (var (name, split) in splits) table.AddRow(name, split.Samples.Count.ToString(), split.BadRows.Count.ToString());
        console.Write(table);
        console.MarkupLine($"Wrote [green]{full.EscapeMarkup()}[/]");
        return 0;
    }
}
