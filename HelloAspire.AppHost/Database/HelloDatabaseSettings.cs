using System.Globalization;
using HelloAspire.AppHost.Startup;

namespace HelloAspire.AppHost.Database;

/// <summary>The <c>Postgres</c> configuration section (command line <c>--Postgres:Mode=local</c>, environment <c>Postgres__Mode</c>, user secrets).</summary>
public sealed record HelloDatabaseSettings
{
    public const string SectionName = "Postgres";

    public PostgresMode Mode { get; init; }

    /// <summary>
    /// Container mode's image without its tag: a registry and a name (a mirror, say <c>mirror.example.com/library/postgres</c>)
    /// or a name in Docker Hub; null for Aspire's <c>docker.io/library/postgres</c>. The tag stays the app's pinned one.
    /// </summary>
    public string? Image { get; init; }

    /// <summary>The image reference container mode runs: <see cref="Image"/> (or the official image) with the pinned tag.</summary>
    public string ImageReference => $"{Image ?? DefaultImage}:{HelloDatabaseBuilderExtensions.PostgresImageTag}";

    public const string DefaultImage = "docker.io/library/postgres";

    /// <summary>Local mode's data; null means the stable default (<see cref="DefaultDataDirectory"/>).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Throwaway data: no container volume, or a fresh local directory that is deleted when the AppHost stops.</summary>
    public bool TemporaryData { get; init; }

    public string? BinDirectory { get; init; }

    /// <summary>
    /// Publishing only: give the deployed PostgreSQL container a volume. Off by default: on Azure Container Apps the
    /// volume is an Azure Files share, where initdb cannot set its data directory's permissions (aspire#6671).
    /// </summary>
    public bool PublishDataVolume { get; init; }

    /// <summary>Publishing only: deploy the PostgreSQL container (the default) or use a managed server (a secret connection string).</summary>
    public PublishTarget PublishAs { get; init; }

    /// <summary>
    /// Existing mode only: run the seeding step against the configured server before the clients start. Off by
    /// default, because it writes into a server the app does not own; the step applies each script once.
    /// </summary>
    public bool SeedExisting { get; init; }

    /// <summary>
    /// Persistent: the server outlives the AppHost and the next run adopts it, so a warm start skips the server's own
    /// start and stop. Not with <see cref="TemporaryData"/>, whose data is deleted when the AppHost stops.
    /// </summary>
    public ServerLifetime Lifetime { get; init; }

    /// <summary>Local mode: new data starts as a copy of a template cluster (initdb once per installation) instead of a new initdb.</summary>
    public bool InitTemplate { get; init; } = true;

    /// <summary>Where the template clusters are kept; null means the default cache directory.</summary>
    public string? TemplateDirectory { get; init; }

    /// <summary>A <c>psql</c> command in the dashboard, in every mode: psql signed in, on the app's database, for anyone signed in to the dashboard.</summary>
    public bool PsqlConsole { get; init; } = true;

    /// <summary>The host port of local mode's server; null lets Aspire choose a free one.</summary>
    public int? Port { get; init; }

    public required string SeedDirectory { get; init; }

    /// <summary>What local mode's fixes name: this app's settings (and its docs' section on running two AppHosts).</summary>
    public static readonly LocalPostgresSettingNames LocalModeSettingNames = new()
    {
        AppName = "HelloAspire",
        DataDirectory = $"{SectionName}:DataDirectory",
        BinDirectory = $"{SectionName}:BinDirectory",
        Port = $"{SectionName}:Port",
        TemplateDirectory = $"{SectionName}:TemplateDirectory",
        NoTemplate = $"set {SectionName}:InitTemplate=false",
        PersistentLifetime = $"{SectionName}:Lifetime=persistent",
        SessionLifetime = $"{SectionName}:Lifetime is session now",
        SecondAppHost = $"give it its own {SectionName}:DataDirectory and ports (docs/local-mode.md, 'Two at once')",
    };

    public static HelloDatabaseSettings Read(IConfiguration configuration, string appHostDirectory)
    {
        var section = configuration.GetSection(SectionName);
        return new HelloDatabaseSettings
        {
            Mode = ParseMode(section["Mode"]),
            DataDirectory = NullIfEmpty(section["DataDirectory"]),
            Image = ParseImage(NullIfEmpty(section["Image"])),
            TemporaryData = ParseBool(section, "TemporaryData"),
            BinDirectory = NullIfEmpty(section["BinDirectory"]),
            PublishDataVolume = ParseBool(section, "PublishDataVolume"),
            PublishAs = ParsePublishTarget(section["PublishAs"]),
            SeedExisting = ParseBool(section, "SeedExisting"),
            Lifetime = ParseLifetime(section["Lifetime"], ParseBool(section, "TemporaryData")),
            Port = ParsePort(section["Port"]),
            InitTemplate = section["InitTemplate"] is not { Length: > 0 } || ParseBool(section, "InitTemplate"),
            PsqlConsole = section["PsqlConsole"] is not { Length: > 0 } || ParseBool(section, "PsqlConsole"),
            TemplateDirectory = NullIfEmpty(section["TemplateDirectory"]),
            SeedDirectory = Path.GetFullPath(NullIfEmpty(section["SeedDirectory"]) ?? Path.Combine("..", "seed"), appHostDirectory),
        };
    }

    /// <summary>
    /// Kept data lives outside the repository, per user and per AppHost checkout: <c>~/.local/share/helloaspire/…</c>,
    /// or <c>/var/lib/helloaspire/…</c> for root, whose home the <c>postgres</c> account cannot enter.
    /// </summary>
    public static string DefaultDataDirectory(IDistributedApplicationBuilder builder, string serverName)
    {
        var baseDirectory = Environment.IsPrivilegedProcess
            ? "/var/lib"
            : NullIfEmpty(Environment.GetEnvironmentVariable("XDG_DATA_HOME"))
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        var checkout = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(builder.AppHostDirectory)))[..10];
        return Path.Combine(baseDirectory, "helloaspire", $"{builder.Environment.ApplicationName.ToLowerInvariant()}-{checkout}", serverName);
    }

    private static PostgresMode ParseMode(string? value) =>
        ParseChoice(value, PostgresMode.Auto, "Mode", "a mode", "use one of auto, container, local, existing (or remove the setting for auto).");

    private static PublishTarget ParsePublishTarget(string? value) =>
        ParseChoice(value, PublishTarget.Container, "PublishAs", "a choice",
            "use container (PostgreSQL deployed as a container, the default) or managed (a server you provide, by connection string).");

    /// <summary>One of <typeparamref name="T"/>'s names, in any case (a number is not a name); empty is <paramref name="unset"/>.</summary>
    private static T ParseChoice<T>(string? value, T unset, string key, string notA, string fix)
        where T : struct, Enum =>
        string.IsNullOrWhiteSpace(value) ? unset
        : Enum.TryParse<T>(value, ignoreCase: true, out var choice) && Enum.IsDefined(choice) && !int.TryParse(value, out _) ? choice
        : throw new DistributedApplicationException($"Postgres:{key} is '{value}', which is not {notA}. Fix: {fix}");

    private static string? ParseImage(string? value) =>
        value is null || (!value.Contains('@', StringComparison.Ordinal) && !value[(value.LastIndexOf('/') + 1)..].Contains(':', StringComparison.Ordinal)) ? value
        : throw new DistributedApplicationException(
            $"Postgres:Image is '{value}', but the tag is the app's own ({HelloDatabaseBuilderExtensions.PostgresImageTag}, pinned with the code that runs on it). " +
            "Fix: give the registry and name only, for example mirror.example.com/library/postgres.");

    private static ServerLifetime ParseLifetime(string? value, bool temporaryData)
    {
        var lifetime = ParseChoice(value, ServerLifetime.Session, "Lifetime", "a lifetime",
            "use session (the server stops with the AppHost, the default) or persistent (it keeps running for the next run).");
        return lifetime == ServerLifetime.Persistent && temporaryData
            ? throw new DistributedApplicationException(
                "Postgres:Lifetime=persistent keeps the server running, but Postgres:TemporaryData=true deletes its data when the AppHost stops. Fix: remove one of the two settings.")
            : lifetime;
    }

    private static bool ParseBool(IConfigurationSection section, string key) =>
        BoolSetting.Parse(section[key], $"{SectionName}:{key}", "use true or false.") ?? false;

    private static int? ParsePort(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536 ? port
        : throw new DistributedApplicationException($"Postgres:Port is '{value}'. Fix: use a TCP port from 1 to 65535, or remove it to let Aspire choose a free one.");

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
