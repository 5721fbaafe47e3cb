using System.Text.Json;
using Atlas.Api.Auth;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Geo;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using OpenQA.Selenium.Chrome;

namespace Atlas.Api.Tests.Console;

/// <summary>
/// The API on a real Kestrel port (a browser cannot reach a test server in memory), its gRPC port off. Its own host, so
/// the map shows only the city the browser tests draw.
/// </summary>
public sealed class ConsoleHostFactory : ApiFactory
{
    public int HttpPort { get; } = FreePort();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("urls", $"http://127.0.0.1:{HttpPort}"),
        new("Atlas:Grpc:Port", "0"),
    ];
}

/// <summary>
/// One API host and one headless Chromium for the console's browser tests: Debian's <c>chromium</c> driven through its
/// <c>chromedriver</c>, found by <c>ATLAS_TEST_CHROMIUM</c> and <c>ATLAS_TEST_CHROMEDRIVER</c> (exported by
/// <c>scripts/services.sh env</c>, which installs both) or on the PATH. Nothing is downloaded.
/// </summary>
public sealed class ConsoleBrowserFixture : IAsyncLifetime
{
    /// <summary>The city the tests draw: around Amsterdam, each test in a district of its own.</summary>
    public static readonly GeoPoint Centre = new(52.3676, 4.9041);

    public ConsoleHostFactory Api { get; } = new();

    public ChromeDriver Browser { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string DispatcherToken => Api.TokenFor("dispatcher-1", Roles.Dispatcher);

    public Task InitializeAsync()
    {
        Api.UseKestrel(Api.HttpPort);
        Api.StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{Api.HttpPort}");
        Browser = StartBrowser();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Browser?.Quit();
        Browser?.Dispose();
        await Api.DisposeAsync();
    }

    private static ChromeDriver StartBrowser()
    {
        var chromium = Find("ATLAS_TEST_CHROMIUM", "chromium");
        var driver = Find("ATLAS_TEST_CHROMEDRIVER", "chromedriver");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = chromium };
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1440,1000",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--lang=en-GB", "--force-device-scale-factor=1");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static string Find(string variable, string program)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{variable}={configured} does not exist; run `bash scripts/services.sh install-browser`.");
        }
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException(
            $"The console's browser tests need {program}: run `bash scripts/services.sh install-browser` (Debian's chromium and chromium-driver) " +
            $"or set {variable}.");
    }

    /// <summary>A driver online at <paramref name="at"/>, by posting a position.</summary>
    public async Task<(string Id, ApiClient Client)> DriverAtAsync(GeoPoint at, string? id = null)
    {
        id ??= Scenario.NewId("driver")[..15];
        var client = Api.Driver(id);
        await MoveAsync(client, id, at);
        return (id, client);
    }

    public static Task MoveAsync(ApiClient driver, string driverId, GeoPoint to) =>
        driver.PostOkAsync("/driver/location", new { user_id = driverId, latitude = to.Latitude, longitude = to.Longitude, timestamp = Scenario.NowMillis() });

    /// <summary>Opens the console afresh (no token kept from an earlier test) and signs in with <paramref name="token"/>.</summary>
    public void SignIn(string token)
    {
        Browser.Navigate().GoToUrl(new Uri(BaseAddress, "/console"));
        ((IJavaScriptExecutor)Browser).ExecuteScript("sessionStorage.clear();");
        Browser.Navigate().Refresh();
        var input = Until(() => Browser.FindElement(By.Id("token-input")) is { Displayed: true } e ? e : null, "the sign-in form");
        input.Clear();
        input.SendKeys(token);
        Browser.FindElement(By.CssSelector("#token-form button[type=submit]")).Click();
    }

    /// <summary>Signs in as a dispatcher and waits until the live updates flow.</summary>
    public void SignInAsDispatcher()
    {
        SignIn(DispatcherToken);
        Until(() => Browser.FindElement(By.Id("connection")).Text.StartsWith("Live", StringComparison.Ordinal) ? "" : null, "the console to go live");
    }

    /// <summary>The driver dots on the map: id → (status, latitude, x, y).</summary>
    public Dictionary<string, Dot> Dots()
    {
        var json = (string?)((IJavaScriptExecutor)Browser).ExecuteScript(
            "return JSON.stringify([...document.querySelectorAll('#drivers circle')].map(c => ({ id: c.dataset.driverId, status: c.dataset.status, " +
            "lat: +c.dataset.lat, long: +c.dataset.long, x: +c.getAttribute('cx'), y: +c.getAttribute('cy'), stale: c.classList.contains('stale') })));");
        return JsonSerializer.Deserialize<Dot[]>(json ?? "[]", JsonOptions)!.ToDictionary(d => d.Id);
    }

    /// <summary>The rides drawn on the map: id → status.</summary>
    public Dictionary<string, string> Rides()
    {
        var json = (string?)((IJavaScriptExecutor)Browser).ExecuteScript(
            "return JSON.stringify(Object.fromEntries([...document.querySelectorAll('#rides g[data-ride-id]')].map(g => [g.dataset.rideId, g.dataset.status])));");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(json ?? "{}")!;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Polls the page (Selenium's <see cref="DefaultWait{T}"/>) until <paramref name="probe"/> gives a value; a WebDriver error counts as not yet.</summary>
    public static T Until<T>(Func<T?> probe, string what, TimeSpan? timeout = null) where T : class
    {
        var wait = new DefaultWait<Func<T?>>(probe)
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(15),
            PollingInterval = TimeSpan.FromMilliseconds(50),
            Message = $"Gave up waiting for {what}.",
        };
        wait.IgnoreExceptionTypes(typeof(WebDriverException));
        return wait.Until(p => p());
    }

    /// <summary>
    /// Saves a screenshot under the test results (<c>ATLAS_TEST_RESULTS_DIR</c>, else <c>artifacts/test-results</c>) and,
    /// with <c>ATLAS_UPDATE_SCREENSHOT=1</c>, as the README's <c>docs/console.png</c>. Returns the first path.
    /// </summary>
    public string SaveScreenshot(string name)
    {
        var root = RepositoryRoot();
        var results = Environment.GetEnvironmentVariable("ATLAS_TEST_RESULTS_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(root, "artifacts", "test-results");
        Directory.CreateDirectory(results);
        var path = Path.Combine(results, name);
        var shot = Browser.GetScreenshot();
        shot.SaveAsFile(path);
        if (Environment.GetEnvironmentVariable("ATLAS_UPDATE_SCREENSHOT") == "1")
        {
            shot.SaveAsFile(Path.Combine(root, "docs", name));
        }
        return path;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Atlas.sln")) || File.Exists(Path.Combine(folder.FullName, "Atlas.slnx")))
            {
                return folder.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}

/// <summary>A driver's dot as the page drew it.</summary>
public sealed record Dot(string Id, string Status, double Lat, double Long, double X, double Y, bool Stale);

[CollectionDefinition(Name)]
public sealed class ConsoleBrowserCollection : ICollectionFixture<ConsoleBrowserFixture>
{
    public const string Name = "console-browser";
}
