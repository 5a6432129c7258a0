using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace EdramFer.Server.Tests;

/// <summary>
/// The web page in a real browser (Debian's chromium and chromium-driver, driven by Selenium) against a real
/// <c>edram serve</c> process: upload a real photo and read what the page drew.
/// </summary>
public sealed class BrowserTests
{
    [BrowserFact]
    public async Task Page_UploadFacePhoto_DrawsLabelBoxBarsAndNumberedGlimpses_ThenCatShowsNoFace()
    {
        using var server = await ServeProcess.StartAsync();
        var photo = ServerFactory.DemoPhoto("astronaut.png");
        using var api = new HttpClient { BaseAddress = server.Url };
        var expected = JsonDocument.Parse(await (await api.PostAsync("/v1/analyze", Uploads.Image(photo))).Content.ReadAsStringAsync()).RootElement;
        var face = expected.GetProperty("faces")[0];
        using var browser = BrowserFactAttribute.Start();

        browser.Navigate().GoToUrl(server.Url);
        browser.FindElement(By.Id("file")).SendKeys(photo);
        var drawn = WaitFor(browser, By.CssSelector("svg .face-overlay"), server);

        Assert.Equal(face.GetProperty("label").GetString(), browser.FindElement(By.CssSelector(".face .label")).Text);
        var box = drawn.FindElement(By.CssSelector("rect.face-box"));
        Assert.Equal(face.GetProperty("box").GetProperty("x").GetInt32().ToString(), box.GetAttribute("x"));
        Assert.True(box.Size.Width > 10 && box.Size.Height > 10, $"face box rendered {box.Size}");
        var glimpses = drawn.FindElements(By.CssSelector("rect.glimpse"));
        Assert.Equal(face.GetProperty("glimpses").GetArrayLength(), glimpses.Count);
        Assert.All(glimpses, g => Assert.True(g.Size.Width > 0, "a glimpse box has no rendered size"));
        Assert.Equal(Enumerable.Range(1, glimpses.Count).Select(i => i.ToString()), drawn.FindElements(By.CssSelector("text.glimpse-number")).Select(t => t.Text));
        Assert.Equal(glimpses.Count, drawn.FindElement(By.CssSelector("polyline.scanpath")).GetAttribute("points")!.Split(' ').Length);
        var bars = browser.FindElements(By.CssSelector(".face .bar"));
        Assert.Equal(7, bars.Count);
        Assert.Equal(face.GetProperty("label").GetString(), browser.FindElement(By.CssSelector(".face .bar.top")).GetAttribute("data-label"));
        Assert.Equal(glimpses.Count, browser.FindElements(By.CssSelector(".face tbody tr")).Count);

        browser.FindElement(By.Id("file")).SendKeys(ServerFactory.DemoPhoto("chelsea.png"));
        WaitUntil(browser, () => browser.FindElement(By.Id("status")).Text == "No face found in this image.", server);
        Assert.Empty(browser.FindElements(By.CssSelector("svg .face-overlay")));
    }

    private static IWebElement WaitFor(IWebDriver browser, By by, ServeProcess server)
    {
        WaitUntil(browser, () => browser.FindElements(by).Count > 0, server);
        return browser.FindElement(by);
    }

    private static void WaitUntil(IWebDriver browser, Func<bool> done, ServeProcess server)
    {
        for (var i = 0; i < 300; i++)
        {
            if (done()) return;
            Thread.Sleep(100);
        }
        Assert.Fail($"the page did not get there in 30 s; status '{browser.FindElement(By.Id("status")).Text}'; server: {server.Output}");
    }
}

/// <summary>A fact that needs chromium, chromium-driver (apt; scripts/setup.sh installs them) and the demo photos; skipped with the reason otherwise.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    private const string Chromium = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium) || !File.Exists(Driver)) Skip = $"{Chromium} or {Driver} not found: apt-get install chromium chromium-driver (scripts/setup.sh does)";
        else if (!File.Exists(ServerFactory.DemoPhoto("astronaut.png"))) Skip = "demo photos not found: run scripts/setup.sh";
    }

    /// <summary>Headless chromium through the system's chromedriver (no driver download).</summary>
    public static ChromeDriver Start()
    {
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }
}
