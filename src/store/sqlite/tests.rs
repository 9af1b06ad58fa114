//! Tests of the SQLite backend through the `Store` handle.

mod listeners {
    use crate::store::{ApiListenerRow, ConfigListenerRow, ListenerTimes, ListenerWrite, Store};

    fn listener(id: &str, account: &str) -> ApiListenerRow {
        ApiListenerRow {
            id: id.into(),
            provider: "smoobu".into(),
            account_id: account.into(),
            doc: "{}".into(),
            created_at: 1,
            updated_at: 1,
            deleted_at: None,
        }
    }

    #[tokio::test]
    async fn an_account_is_taken_until_its_listener_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 16).unwrap();
        assert_eq!(
            store
                .insert_api_listener(listener("a", "acc"))
                .await
                .unwrap(),
            ListenerWrite::Done
        );
        assert_eq!(
            store
                .insert_api_listener(listener("b", "acc"))
                .await
                .unwrap(),
            ListenerWrite::Clash
        );
        assert_eq!(
            store.delete_api_listener("a", 5).await.unwrap(),
            ListenerWrite::Done
        );
        assert_eq!(
            store.delete_api_listener("a", 6).await.unwrap(),
            ListenerWrite::Missing
        );
        assert_eq!(
            store
                .insert_api_listener(listener("b", "acc"))
                .await
                .unwrap(),
            ListenerWrite::Done
        );
        let a = store.api_listener("a").await.unwrap().unwrap();
        assert_eq!(a.deleted_at, Some(5));
        assert_eq!(store.api_listeners().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn config_times_change_only_with_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 16).unwrap();
        store
            .sync_config_listeners(vec![row("l", "h1")], 100)
            .await
            .unwrap();
        let t = store.config_listener_times().await.unwrap();
        assert_eq!(
            t["l"],
            ListenerTimes {
                created_at: 100,
                updated_at: 100
            }
        );
        store
            .sync_config_listeners(vec![row("l", "h1")], 200)
            .await
            .unwrap();
        let t = store.config_listener_times().await.unwrap();
        assert_eq!(
            t["l"],
            ListenerTimes {
                created_at: 100,
                updated_at: 100
            }
        );
        store
            .sync_config_listeners(vec![row("l", "h2")], 300)
            .await
            .unwrap();
        let t = store.config_listener_times().await.unwrap();
        assert_eq!(
            t["l"],
            ListenerTimes {
                created_at: 100,
                updated_at: 300
            }
        );
        // Gone from the file: forgotten, and handed back once with its data.
        let sync = store
            .sync_config_listeners(vec![row("other", "h")], 400)
            .await
            .unwrap();
        assert!(!store
            .config_listener_times()
            .await
            .unwrap()
            .contains_key("l"));
        assert_eq!(
            sync.removed,
            vec![("l".to_string(), Some("{\"id\":\"l\"}".to_string()))]
        );
        let again = store
            .sync_config_listeners(vec![row("other", "h")], 500)
            .await
            .unwrap();
        assert!(
            again.removed.is_empty(),
            "announced twice: {:?}",
            again.removed
        );
    }

    fn row(id: &str, hash: &str) -> ConfigListenerRow {
        ConfigListenerRow {
            id: id.into(),
            hash: hash.into(),
            data: Some(format!("{{\"id\":\"{id}\"}}")),
        }
    }
}

mod event_log {
    use crate::store::sqlite::SqliteStore;
    use crate::store::{EventFilter, NewEvent, Store, StoredEvent};
    use bytes::Bytes;

    fn event(listener: &str, event_type: Option<&str>) -> NewEvent {
        NewEvent {
            event: StoredEvent {
                seq: 0,
                id: uuid::Uuid::now_v7().to_string(),
                listener_id: listener.into(),
                provider: "smoobu".into(),
                account_id: "a".into(),
                event_type: event_type.map(str::to_string),
                provider_event_id: None,
                received_at: 1,
                source_ip: None,
                content_type: None,
                headers: Vec::new(),
                body: Bytes::from_static(b"{}"),
            },
            receiver_urls: vec!["http://r/".into()],
            order_keys: Default::default(),
        }
    }

    async fn total(store: &Store, listener: &str, event_type: Option<&str>) -> u64 {
        let filter = EventFilter {
            take: 10,
            event_type: event_type.map(str::to_string),
            ..EventFilter::default()
        };
        store.list_events(listener, filter).await.unwrap().1
    }

    async fn ingest(store: &Store, listener: &str, event_type: Option<&str>) -> String {
        match store.ingest(event(listener, event_type)).await.unwrap() {
            crate::store::IngestOutcome::Accepted { event, .. } => event.id.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn totals_follow_inserts_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 64).unwrap();
        let first = ingest(&store, "l", Some("a")).await;
        ingest(&store, "l", Some("a")).await;
        ingest(&store, "l", Some("b")).await;
        ingest(&store, "l", None).await;
        ingest(&store, "other", Some("a")).await;
        assert_eq!(total(&store, "l", None).await, 4);
        assert_eq!(total(&store, "l", Some("a")).await, 2);
        assert_eq!(total(&store, "l", Some("zzz")).await, 0);
        assert_eq!(store.delete_event(&first).await.unwrap(), Some(1));
        assert_eq!(total(&store, "l", None).await, 3);
        assert_eq!(total(&store, "l", Some("a")).await, 1);
        assert_eq!(store.delete_event(&first).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_database_without_counters_gets_them_filled_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let sqlite = SqliteStore::open(&path, 64).unwrap();
            let store = Store::over(sqlite.clone());
            ingest(&store, "l", Some("a")).await;
            ingest(&store, "l", Some("b")).await;
            sqlite
                .write(|c| {
                    c.execute_batch("DROP TRIGGER event_counts_delete; DROP TABLE event_counts;")
                })
                .await
                .unwrap();
            drop(sqlite);
            store.close();
        }
        let store = Store::open(&path, 64).unwrap();
        assert_eq!(total(&store, "l", None).await, 2);
        ingest(&store, "l", Some("a")).await;
        assert_eq!(total(&store, "l", Some("a")).await, 2);
    }

    #[tokio::test]
    async fn a_store_with_the_old_insert_trigger_counts_each_event_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let sqlite = SqliteStore::open(&path, 64).unwrap();
            let store = Store::over(sqlite.clone());
            ingest(&store, "l", Some("a")).await;
            sqlite
                .write(|c| {
                    c.execute_batch(
                        "CREATE TRIGGER event_counts_insert AFTER INSERT ON events BEGIN
                         INSERT INTO event_counts (listener_id, event_type, n)
                         VALUES (new.listener_id, coalesce(new.event_type, ''), 1)
                         ON CONFLICT (listener_id, event_type) DO UPDATE SET n = n + 1;
                         END;",
                    )
                })
                .await
                .unwrap();
            drop(sqlite);
            store.close();
        }
        let store = Store::open(&path, 64).unwrap();
        ingest(&store, "l", Some("a")).await;
        ingest(&store, "l", None).await;
        assert_eq!(total(&store, "l", Some("a")).await, 2);
        assert_eq!(total(&store, "l", None).await, 3);
    }
}
