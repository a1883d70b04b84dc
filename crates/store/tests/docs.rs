//! The documents table later stages keep their state in.
// Helpers of this test crate may unwrap and panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::panic)]

use arsync_store::{SqliteStore, Store};
use serde_json::json;

#[tokio::test]
async fn a_learned_payer_alias_is_stored_replaced_listed_and_forgotten() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let ns = "reconcile.aliases";
    assert_eq!(store.get_doc(ns, "ACME IND CHEM").await.unwrap(), None);
    store
        .put_doc(ns, "ACME IND CHEM", &json!({"customer": "C1", "seen": 1}))
        .await
        .unwrap();
    store
        .put_doc(ns, "ACME IND CHEM", &json!({"customer": "C1", "seen": 2}))
        .await
        .unwrap();
    store
        .put_doc(ns, "ACME GMBH", &json!({"customer": "C1", "seen": 1}))
        .await
        .unwrap();
    store
        .put_doc("collect.states", "books:130", &json!({"state": "disputed"}))
        .await
        .unwrap();

    assert_eq!(
        store.get_doc(ns, "ACME IND CHEM").await.unwrap(),
        Some(json!({"customer": "C1", "seen": 2}))
    );
    let keys: Vec<String> = store
        .docs(ns)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, vec!["ACME GMBH", "ACME IND CHEM"]);
    assert!(store.delete_doc(ns, "ACME GMBH").await.unwrap());
    assert!(!store.delete_doc(ns, "ACME GMBH").await.unwrap());
    assert_eq!(store.docs(ns).await.unwrap().len(), 1);
    assert_eq!(store.docs("collect.states").await.unwrap().len(), 1);
    assert!(store.put_doc("", "k", &json!(1)).await.is_err());
}
