using EdramFer.Tests.Shared;

namespace EdramFer.Vision.Tests;

/// <summary>
/// The demo photos scripts/setup.sh takes from Debian's python3-skimage (artifacts/demo/images): with the default chain
/// and the shipped models, the people's faces are found and the cat gets no face (issue 13's acceptance).
/// </summary>
public sealed class DemoPhotoTests
{
    [DemoPhotoFact("camera.png")]
    public void DefaultChain_Cameraman_FaceFoundOnTheHead()
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { NoFacePolicy = NoFacePolicy.Reject });

        var result = pre.ProcessFile(DemoPhotoFactAttribute.PathOf("camera.png"));

        // Failed before (issue 13): the Haar default found no face and the whole picture was scored.
        Assert.True(result.FaceFound, result.Message);
        var face = result.Face!.Value;
        // Hand-annotated head of the 512x512 photo (a man filming, in profile to the right): x 160–270, y 65–200.
        Assert.InRange(face.X + face.Width / 2, 160, 270);
        Assert.InRange(face.Y + face.Height / 2, 65, 200);
    }

    [DemoPhotoFact("astronaut.png")]
    public void DefaultChain_Astronaut_FaceFound()
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { NoFacePolicy = NoFacePolicy.Reject });

        var result = pre.ProcessFile(DemoPhotoFactAttribute.PathOf("astronaut.png"));

        Assert.True(result.FaceFound, result.Message);
    }

    [DemoPhotoFact("chelsea.png")]
    public void DefaultChain_Cat_NoFace()
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { NoFacePolicy = NoFacePolicy.Reject });

        var result = pre.ProcessFile(DemoPhotoFactAttribute.PathOf("chelsea.png"));

        // The res10 SSD reports the cat's face (score 0.71); the default chain must not.
        Assert.Equal(PreprocessStatus.NoFace, result.Status);
        Assert.False(result.HasPixels);
    }
}
