namespace EdramFer.Vision.Tests;

public sealed class FaceCropperTests
{
    [Fact]
    public void SquareAround_FaceInMiddle_AddsMarginOnEachSide()
    {
        var box = FaceCropper.SquareAround(new FaceBox(100, 100, 50, 40, 1f), 400, 300, 0.2);

        Assert.Equal(new CropRect(90, 85, 70), box); // side 50 × 1.4 = 70, centred on (125, 120)
    }

    [Fact]
    public void SquareAround_FaceAtCorner_ShiftedInsideAndStillSquare()
    {
        var box = FaceCropper.SquareAround(new FaceBox(0, 0, 40, 40, 1f), 200, 100, 0.5);

        Assert.Equal(new CropRect(0, 0, 80), box);
    }

    [Fact]
    public void SquareAround_BoxLargerThanImage_ShrunkToShorterSide()
    {
        var box = FaceCropper.SquareAround(new FaceBox(10, 5, 90, 90, 1f), 120, 100, 0.2);

        Assert.Equal(100, box.Size);
        Assert.InRange(box.X, 0, 20);
        Assert.Equal(0, box.Y);
    }

    [Fact]
    public void CentreSquare_Landscape_CentredOnShorterSide()
    {
        Assert.Equal(new CropRect(50, 0, 100), FaceCropper.CentreSquare(200, 100));
    }

    [Fact]
    public void CropGrey_BgrCrop_IsAreaResizedGrey()
    {
        // 4x4 BGR image, all (0, 0, 255) red in the top-left 2x2 block, black elsewhere.
        var px = new byte[4 * 4 * 3];
        foreach (var (x, y) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) }) px[(y * 4 + x) * 3 + 2] = 255;

        var grey = FaceCropper.CropGrey(px, 4, 4, 3, new CropRect(0, 0, 4), 2);

        Assert.Equal(new byte[] { 76, 0, 0, 0 }, grey); // red → 0.299 × 255 = 76; INTER_AREA averages 2x2 blocks
    }
}
