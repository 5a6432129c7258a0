using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML.Tests;

public class LabelMappingTests
{
    private readonly MLContext _ml = new(seed: 0);

    private sealed class Row
    {
        public string LabelText { get; set; } = "";
    }

    private IDataView Rows(params string[] labels) => _ml.Data.LoadFromEnumerable(labels.Select(l => new Row { LabelText = l }).ToList());

    [Fact]
    public void MapLabelToKey_CommonAliases_MapsDatasetSpellingsAndDropsContempt()
    {
        var data = Rows("Anger", "happiness", "contempt", "sad", "SURPRISED");
        var mapping = _ml.Transforms.Conversion.MapLabelToKey(new LabelMappingOptions
        {
            OutputColumnName = "Label", InputColumnName = "LabelText", Labels = TestModels.Labels, Aliases = LabelAliases.Common,
        }).Fit(data);
        var view = mapping.Transform(data);
        // angry = 1, happy = 4, sad = 6, surprise = 7; the contempt row is gone rather than mapped to ''.
        Assert.Equal([1u, 4u, 6u, 7u], view.GetColumn<uint>("Label"));
        Assert.Equal(["Anger", "happiness", "sad", "SURPRISED"], view.GetColumn<string>("LabelText"));
        Assert.True(mapping.DropsRows);
    }

    [Fact]
    public void MapLabelToKey_DropUnknownLabels_DropsThemInsteadOfFailing()
    {
        var data = Rows("happy", "bored", "sad");
        var options = new LabelMappingOptions { OutputColumnName = "Label", InputColumnName = "LabelText", Labels = TestModels.Labels };
        var e = Assert.Throws<InvalidDataException>(() => _ml.Transforms.Conversion.MapLabelToKey(options).Fit(data));
        Assert.Contains("'bored'", e.Message);
        Assert.Contains("Aliases or set DropUnknownLabels", e.Message);
        var kept = _ml.Transforms.Conversion.MapLabelToKey(options with { DropUnknownLabels = true }).Fit(data).Transform(data);
        Assert.Equal([4u, 6u], kept.GetColumn<uint>("Label"));
    }

    [Fact]
    public void MapLabelToKey_AliasToALabelTheModelLacks_FailsNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => _ml.Transforms.Conversion.MapLabelToKey(new LabelMappingOptions
        {
            OutputColumnName = "Label", Labels = TestModels.Labels, Aliases = new Dictionary<string, string?> { ["contempt"] = "disdain" },
        }));
        Assert.Contains("alias 'contempt' maps to 'disdain'", e.Message);
    }

    [Fact]
    public void MapLabelToKey_NoDrops_IsARowToRowMapperKeepingEveryRow()
    {
        var data = Rows("happy", "Sad");
        var mapping = _ml.Transforms.Conversion.MapLabelToKey("Label", TestModels.Labels, "LabelText").Fit(data);
        Assert.False(mapping.DropsRows);
        Assert.True(mapping.IsRowToRowMapper);
        Assert.Equal([4u, 6u], mapping.Transform(data).GetColumn<uint>("Label"));
    }
}
