using Xunit;

namespace EdramFer.Tests.Shared;

/// <summary>
/// A fact skipped, with the reason shown, when scripts/setup.sh has not fetched the demo photo (artifacts/demo/images,
/// from Debian's python3-skimage: astronaut.png, camera.png, and chelsea.png, a cat without a human face).
/// </summary>
public sealed class DemoPhotoFactAttribute : FactAttribute
{
    public DemoPhotoFactAttribute(string file)
    {
        if (!File.Exists(PathOf(file))) Skip = $"{PathOf(file)} not found: run scripts/setup.sh (it fetches the demo photos)";
    }

    /// <summary>The demo photo's path in this checkout.</summary>
    public static string PathOf(string file) => Path.Combine(SharedData.RepoRoot, "artifacts", "demo", "images", file);
}
