using CacheBus.Service.Django;
using CacheBus.Service.Fragments;
using CacheBus.Service.Health;
using CacheBus.Service.Horizon;
using CacheBus.Service.Memcached;
using CacheBus.Service.Metrics;
using CacheBus.Service.Redis;
using CacheBus.Service.Replication;
using CacheBus.Service.Rules;
using CacheBus.Service.Sessions;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace CacheBus.Service;

/// <summary>Wires CacheBus into a host: validated options, the bus, and the parts the configured role runs.</summary>
public static class CacheBusHostingExtensions
{
    public static IHostApplicationBuilder AddCacheBus(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CacheBusOptions>().BindConfiguration(CacheBusOptions.Section).ValidateOnStart();
        services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, ConnectionStringsValidator>();
        services.AddOptions<RulesOptions>().BindConfiguration(RulesOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RulesOptions>, RulesOptionsValidator>();
        services.AddOptions<ReplicationOptions>().BindConfiguration(ReplicationOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReplicationOptions>, ReplicationOptionsValidator>();
        services.AddOptions<DjangoOptions>().BindConfiguration(DjangoOptions.Section);
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateOnStart();
        services.AddOptions<RetryOptions>().BindConfiguration(RetryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetryOptions>, RetryOptionsValidator>();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        services.AddOptions<HorizonOptions>().BindConfiguration(HorizonOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HorizonOptions>, HorizonOptionsValidator>();
        var horizon = builder.Configuration.GetSection(HorizonOptions.Section).Get<HorizonOptions>()?.Enabled ?? true;
        services.AddSingleton<RuleSet>();
        services.AddSingleton<IConnectionMultiplexer>(sp => ConnectToRedis(sp.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value));
        var health = services.AddHealthChecks();

        var role = builder.Configuration.GetSection(CacheBusOptions.Section).Get<CacheBusOptions>()?.Role ?? CacheBusRole.All;
        var memcached = !string.IsNullOrWhiteSpace(builder.Configuration[$"{ConnectionStringsOptions.Section}:Memcached"]);
        var sessionsTable = !string.IsNullOrWhiteSpace(builder.Configuration[$"{SessionsOptions.Section}:Table"]);
        var sessions = role.HasFlag(CacheBusRole.Consumers) && sessionsTable;
        var warming = role.HasFlag(CacheBusRole.Consumers) && builder.Configuration.GetSection($"{FragmentsOptions.Section}:Policies").GetChildren().Any();
        services.AddOptions<FragmentsOptions>().BindConfiguration(FragmentsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FragmentsOptions>, FragmentsOptionsValidator>();
        services.AddOptions<SessionsOptions>().BindConfiguration(SessionsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SessionsOptions>, SessionsOptionsValidator>();
        services.AddMassTransit(bus =>
        {
            if (role.HasFlag(CacheBusRole.Consumers))
            {
                bus.AddConsumer<RedisEvictionConsumer, RedisEvictionConsumerDefinition>();
                bus.AddConsumer<InvalidationRequestedConsumer, InvalidationRequestedConsumerDefinition>();
            }

            if (sessions)
            {
                bus.AddConsumer<SessionConsumer, SessionConsumerDefinition>();
            }

            if (warming)
            {
                bus.AddConsumer<FragmentWarmConsumer, FragmentWarmConsumerDefinition>();
            }

            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(context.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.RabbitMq!));

                // MassTransit indents its JSON by default: a third of every batch's bytes would be white space.
                rabbit.ConfigureJsonSerializerOptions(json =>
                {
                    json.WriteIndented = false;
                    return json;
                });
                rabbit.ConfigureEndpoints(context);
            });
        });

        // Start-up is mostly waiting on servers: the broker's handshake and topology, the catalog checks and the slot.
        // Started concurrently they overlap (a cold start reaches its first eviction sooner); the listener waits for
        // BusStarted before it reads a change, and the host counts as started only once the bus has.
        services.Configure<HostOptions>(host => host.ServicesStartConcurrently = true);
        services.Configure<MassTransitHostOptions>(host => host.WaitUntilStarted = true);

        // Every role has Redis: consumers evict through it, and the listener flushes through it after a lost slot.
        services.AddSingleton<RedisInvalidator>();
        if (role.HasFlag(CacheBusRole.Consumers))
        {
            services.AddHostedService<CacheStatsSampler>();
            health.AddCheck<RedisHealthCheck>("redis", tags: [CacheBusEndpoints.ReadyTag]);
            if (memcached)
            {
                health.AddCheck<MemcachedHealthCheck>("memcached", tags: [CacheBusEndpoints.ReadyTag]);
                AddMemcachedClient(services);
            }

            if (sessions)
            {
                services.AddSingleton<ProfileSnapshots>();
                services.AddSingleton<SessionRegistries>();
            }

            if (warming)
            {
                // Redirects are never followed: one could lead to a host the policy does not allow.
                services.AddHttpClient<FragmentFetcher>().ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
                services.AddSingleton<FragmentWarmer>();
                services.AddHostedService<EarlyRefresher>();
            }
            services.AddSingleton<SecondEvictions>();
            services.AddHostedService(sp => sp.GetRequiredService<SecondEvictions>());
            services.AddSingleton<HorizonTracker>();
            if (horizon)
            {
                services.AddReceiveObserver(sp => sp.GetRequiredService<HorizonTracker>()); // every endpoint: each consumer tag is counted apart
                services.AddSingleton<HorizonWriter>();
                services.AddHostedService(sp => sp.GetRequiredService<HorizonWriter>());
                health.AddCheck<HorizonHealthCheck>("horizon", tags: [CacheBusEndpoints.ReadyTag]);
            }
        }

        // The listener decides what a profile change means for sessions; the consumer applies it with the same keys.
        if (sessionsTable)
        {
            services.AddSingleton<SessionPolicy>();
        }

        if (role.HasFlag(CacheBusRole.Listener))
        {
            services.AddSingleton(sp => NpgsqlDataSource.Create(sp.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Postgres!));
            services.AddSingleton<ReplicationState>();
            services.AddSingleton<BusStarted>();
            services.AddBusObserver(sp => sp.GetRequiredService<BusStarted>());
            services.AddSingleton<CommitVisibility>();
            services.AddSingleton<BatchPublisher>();
            services.AddSingleton<SlotGuard>();
            services.AddHostedService<ReplicationListener>();
            services.AddHostedService<ReplicationLagSampler>();
            services.AddHostedService<Heartbeat>();
            health.AddCheck<ReplicationHealthCheck>("replication-slot", tags: [CacheBusEndpoints.ReadyTag]);
        }

        return builder;
    }

    private static void AddMemcachedClient(IServiceCollection services)
    {
        services.AddOptions<MemcachedClientOptions>()
            .BindConfiguration(MemcachedClientOptions.Section)
            .PostConfigure<IOptions<ConnectionStringsOptions>>((options, connections) =>
                options.Servers = connections.Value.Memcached!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MemcachedClientOptions>, MemcachedClientOptionsValidator>();
        services.AddSingleton(sp => new MemcachedClient(sp.GetRequiredService<IOptions<MemcachedClientOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
    }

    private static ConnectionMultiplexer ConnectToRedis(ConnectionStringsOptions connections)
    {
        var options = ConfigurationOptions.Parse(connections.Redis!);

        // Keep retrying in the background instead of failing start-up; commands fail (and are retried) meanwhile.
        options.AbortOnConnectFail = false;
        options.AllowAdmin = true; // INFO, for the hit-ratio metrics
        return ConnectionMultiplexer.Connect(options);
    }
}
