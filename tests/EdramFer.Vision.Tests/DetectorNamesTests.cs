namespace EdramFer.Vision.Tests;

public class DetectorNamesTests
{
    [Theory]
    [InlineData("yunet,haar", "yunet,haar")]
    [InlineData(" SSD , dlib ", "ssd,dlib")]
    [InlineData("none", "none")]
    [InlineData("", "none")]
    [InlineData("yunet,none", "yunet")]
    public void Parse_ThenFormat_OneSpelling(string chain, string formatted) =>
        Assert.Equal(formatted, DetectorNames.Format(DetectorNames.Parse(chain)));

    [Theory]
    [InlineData("yunet,mtcnn", "mtcnn")]
    [InlineData("1", "1")]                    // an enum number is not a name
    public void Parse_UnknownName_FormatExceptionNamingIt(string chain, string bad)
    {
        var e = Assert.Throws<FormatException>(() => DetectorNames.Parse(chain));
        Assert.Contains($"'{bad}'", e.Message);
        Assert.Contains("yunet, ssd, dlib, haar, none", e.Message);
    }

    [Fact]
    public void OfFace_DetectorName_NoneWithoutDetection_EmptyWithoutFace()
    {
        var face = new FaceBox(1, 2, 30, 40, 0.9f);
        Assert.Equal("yunet", DetectorNames.OfFace(face, DetectorKind.YuNet));
        Assert.Equal("none", DetectorNames.OfFace(face, null));
        Assert.Equal("", DetectorNames.OfFace(null, null));
    }

    [Fact]
    public void Metadata_UnknownDetector_NamesTheKey()
    {
        var e = Assert.Throws<FormatException>(() => PreprocessOptions.FromMetadata(new Dictionary<string, string> { ["preprocess.detectors"] = "yunet,foo" }));
        Assert.Contains("preprocess.detectors", e.Message);
        Assert.Contains("'foo'", e.Message);
    }
}
