// The tests share one RabbitMQ queue per consumer and one Redis: one CacheBus runs at a time.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
