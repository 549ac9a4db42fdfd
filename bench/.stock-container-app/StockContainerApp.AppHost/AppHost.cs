var builder = DistributedApplication.CreateBuilder(args);

// As Aspire's samples seed a container: the image runs seed/ once, on a new volume, in POSTGRES_DB.
// The tag comes from the benchmark (the stand-in image's, postgres/Dockerfile), so that no version is pinned twice.
var tag = builder.Configuration["Postgres:ImageTag"] ?? throw new InvalidOperationException("Postgres:ImageTag is not set. Fix: run this app through bench/bench.py.");
var postgres = builder.AddPostgres("postgres")
    .WithImageTag(tag)
    .WithDataVolume()
    .WithEnvironment("POSTGRES_DB", "hello")
    .WithInitFiles(Path.Combine(builder.AppHostDirectory, "..", "..", "..", "seed"));

// The image HelloAspire's Postgres:Image names, registry first (localhost/helloaspire-standin/postgres: the tests'
// stand-in), as the benchmark gives it.
if (builder.Configuration["Postgres:Image"] is { } image)
{
    var registryEnd = image.IndexOf('/');
    if (registryEnd <= 0)
    {
        throw new InvalidOperationException($"Postgres:Image is '{image}', without a registry. Fix: give it as registry/name, such as localhost/helloaspire-standin/postgres.");
    }

    postgres.WithImageRegistry(image[..registryEnd]).WithImage(image[(registryEnd + 1)..], tag);
}

var hello = postgres.AddDatabase("hello");

builder.AddProject<Projects.HelloAspire_Worker>("worker")
    .WithBuildOutputLaunch()
    .WithReference(hello)
    .WaitFor(hello)
    .AsRunOnce(stopsTheAppHost: builder.Configuration.GetValue<bool>("RunOnce"));

builder.Build().Run();
