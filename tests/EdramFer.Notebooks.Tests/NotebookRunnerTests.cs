namespace EdramFer.Notebooks.Tests;

/// <summary>The runner itself: a broken cell must surface as an error, or the notebook tests could not fail.</summary>
public class NotebookRunnerTests
{
    private static string Notebook(params string[] cells)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new
        {
            cells = cells.Select(c => new { cell_type = "code", execution_count = (int?)null, metadata = new { dotnet_interactive = new { language = "csharp" } }, outputs = Array.Empty<object>(), source = new[] { c } }),
            metadata = new { kernelspec = new { display_name = ".NET (C#)", language = "C#", name = ".net-csharp" } },
            nbformat = 4,
            nbformat_minor = 5,
        });
        var path = Path.Combine(Path.GetTempPath(), $"edramfer-runner-{Guid.NewGuid():N}.ipynb");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("throw new InvalidOperationException(\"boom\");", "boom")]
    [InlineData("int x = \"text\";", "CS0029")]
    public async Task RunAsync_BrokenCell_ReportsItsErrorAndStops(string broken, string expected)
    {
        var path = Notebook("var a = 1;", broken, "display(\"never\");");
        try
        {
            var cells = await NotebookRunner.RunAsync(path);
            Assert.Equal(2, cells.Count);
            Assert.Null(cells[0].Error);
            Assert.Contains(expected, cells[1].Error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task RunAsync_GoodCells_CollectDisplayedOutput()
    {
        var path = Notebook("var a = 20;", "display(HTML($\"<b>{a + 22}</b>\"));");
        try
        {
            var cells = await NotebookRunner.RunAsync(path);
            Assert.All(cells, c => Assert.Null(c.Error));
            Assert.Contains(cells[1].Outputs, o => o.Contains("<b>42</b>"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
