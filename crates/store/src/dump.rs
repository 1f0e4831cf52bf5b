//! Moving a whole installation from one backend to another (`calvault store copy`): every
//! row as it is, ids, sequence numbers and history hashes included. The hash chain covers
//! collection ids and sequence numbers, and sync tokens are sequence numbers, so only a copy
//! that keeps them keeps every chain verifiable and every client's token valid.

use async_trait::async_trait;
use bytes::Bytes;

use crate::{Collection, CollectionId, ObjectMeta, Property, Result, StoreError, Version};

/// A principal with every stored column, the password hash included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalRecord {
    pub id: i64,
    pub name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub quota_bytes: Option<i64>,
    pub created_at: i64,
    pub disabled: bool,
    pub admin: bool,
}

/// Groups, their members and every grant, as they are stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharingRecords {
    pub groups: Vec<crate::Group>,
    /// (group, member)
    pub members: Vec<(crate::GroupId, crate::PrincipalId)>,
    pub grants: Vec<crate::Grant>,
}

/// An app password with its stored hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub token: crate::AppToken,
    pub hash: String,
}

/// A collection, live or deleted (history keeps deleted ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionRecord {
    pub collection: Collection,
    pub deleted_at: Option<i64>,
}

/// A live object with its bytes and its instance index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRecord {
    pub id: i64,
    pub meta: ObjectMeta,
    pub data: Bytes,
    /// See `store::InstanceIndex::complete_until`; `i64::MIN` when not indexed.
    pub instances_until: i64,
    pub instances_floating: bool,
    /// Instance spans, sorted.
    pub instances: Vec<(i64, i64)>,
}

/// A stored property of a collection (`object` empty) or of one of its objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyRecord {
    pub collection: CollectionId,
    pub object: String,
    pub property: Property,
}

/// Reading and writing whole rows. Loading is only for an empty store, in the order
/// principals, tokens, collections, then per collection objects, properties and versions, then
/// [`Dump::finish_load`].
#[async_trait]
pub trait Dump: Send + Sync {
    /// Every principal, by id.
    async fn dump_principals(&self) -> Result<Vec<PrincipalRecord>>;
    /// Every app password, by id.
    async fn dump_tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Every group, member and grant.
    async fn dump_sharing(&self) -> Result<SharingRecords>;
    /// Loaded after the collections (grants name them).
    async fn load_sharing(&self, rows: SharingRecords) -> Result<()>;
    /// Every collection, deleted ones included, by id.
    async fn dump_collections(&self) -> Result<Vec<CollectionRecord>>;
    /// Up to `limit` objects of a collection with an id above `after`, by id.
    async fn dump_objects(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>>;
    /// Every stored property of a collection and of its objects, by object then name.
    async fn dump_properties(&self, collection: CollectionId) -> Result<Vec<PropertyRecord>>;
    /// Up to `limit` history rows of a collection with an id above `after`, by id.
    async fn dump_versions(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Version>>;

    /// True when the store holds no principal and no history.
    async fn is_empty(&self) -> Result<bool>;
    async fn load_principals(&self, rows: Vec<PrincipalRecord>) -> Result<()>;
    async fn load_tokens(&self, rows: Vec<TokenRecord>) -> Result<()>;
    async fn load_collections(&self, rows: Vec<CollectionRecord>) -> Result<()>;
    async fn load_objects(&self, rows: Vec<ObjectRecord>) -> Result<()>;
    async fn load_properties(&self, rows: Vec<PropertyRecord>) -> Result<()>;
    async fn load_versions(&self, rows: Vec<Version>) -> Result<()>;
    /// Moves the id generators past the loaded rows, so new rows get fresh ids.
    async fn finish_load(&self) -> Result<()>;
}

/// Rows per page when copying objects and versions: bounds memory, not correctness.
pub const PAGE: usize = 500;

/// What a copy moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub principals: u64,
    pub tokens: u64,
    pub grants: u64,
    pub collections: u64,
    pub objects: u64,
    pub object_bytes: u64,
    pub properties: u64,
    pub versions: u64,
}

/// Told about each collection as it is copied or verified: (done, total, path).
pub type Progress<'a> = &'a (dyn Fn(usize, usize, &str) + Send + Sync);

/// Copies everything from `from` into the empty store `to`.
pub async fn copy(from: &dyn Dump, to: &dyn Dump, progress: Progress<'_>) -> Result<CopyReport> {
    if !to.is_empty().await? {
        return Err(StoreError::Conflict(
            "the target store is not empty: a copy only goes into a new, empty store".into(),
        ));
    }
    let mut report = CopyReport::default();
    let principals = from.dump_principals().await?;
    report.principals = principals.len() as u64;
    to.load_principals(principals).await?;
    let tokens = from.dump_tokens().await?;
    report.tokens = tokens.len() as u64;
    to.load_tokens(tokens).await?;
    let collections = from.dump_collections().await?;
    report.collections = collections.len() as u64;
    to.load_collections(collections.clone()).await?;
    let sharing = from.dump_sharing().await?;
    report.grants = sharing.grants.len() as u64;
    to.load_sharing(sharing).await?;
    for (done, record) in collections.iter().enumerate() {
        let id = record.collection.id;
        progress(done, collections.len(), &record.collection.path);
        let mut after = i64::MIN;
        loop {
            let page = from.dump_objects(id, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            report.objects += page.len() as u64;
            report.object_bytes += page.iter().map(|o| o.data.len() as u64).sum::<u64>();
            to.load_objects(page).await?;
        }
        let properties = from.dump_properties(id).await?;
        report.properties += properties.len() as u64;
        to.load_properties(properties).await?;
        let mut after = i64::MIN;
        loop {
            let page = from.dump_versions(id, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            report.versions += page.len() as u64;
            to.load_versions(page).await?;
        }
    }
    progress(collections.len(), collections.len(), "");
    to.finish_load().await?;
    Ok(report)
}

/// Reads both stores back row by row and names the first difference: the proof that a
/// copy is complete and exact.
pub async fn verify_copy(a: &dyn Dump, b: &dyn Dump, progress: Progress<'_>) -> Result<()> {
    same(
        "principals",
        &a.dump_principals().await?,
        &b.dump_principals().await?,
    )?;
    same(
        "app passwords",
        &a.dump_tokens().await?,
        &b.dump_tokens().await?,
    )?;
    let collections = a.dump_collections().await?;
    same("collections", &collections, &b.dump_collections().await?)?;
    same(
        "groups and grants",
        &[a.dump_sharing().await?],
        &[b.dump_sharing().await?],
    )?;
    for (done, record) in collections.iter().enumerate() {
        let id = record.collection.id;
        let what = |table: &str| format!("{table} of collection {id} ({})", record.collection.path);
        progress(done, collections.len(), &record.collection.path);
        let mut after = i64::MIN;
        loop {
            let page = a.dump_objects(id, after, PAGE).await?;
            same(
                &what("objects"),
                &page,
                &b.dump_objects(id, after, PAGE).await?,
            )?;
            let Some(last) = page.last() else { break };
            after = last.id;
        }
        same(
            &what("properties"),
            &a.dump_properties(id).await?,
            &b.dump_properties(id).await?,
        )?;
        let mut after = i64::MIN;
        loop {
            let page = a.dump_versions(id, after, PAGE).await?;
            same(
                &what("history"),
                &page,
                &b.dump_versions(id, after, PAGE).await?,
            )?;
            let Some(last) = page.last() else { break };
            after = last.id;
        }
    }
    progress(collections.len(), collections.len(), "");
    Ok(())
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, a: &[T], b: &[T]) -> Result<()> {
    if a.len() != b.len() {
        return Err(StoreError::Conflict(format!(
            "the copy differs in {what}: {} rows in the source, {} in the target",
            a.len(),
            b.len()
        )));
    }
    match a.iter().zip(b).position(|(x, y)| x != y) {
        None => Ok(()),
        Some(i) => Err(StoreError::Conflict(format!(
            "the copy differs in {what}, row {}: source {:?}, target {:?}",
            i + 1,
            abbreviated(&a[i]),
            abbreviated(&b[i])
        ))),
    }
}

/// Debug text cut to a readable length (rows carry whole objects).
fn abbreviated<T: std::fmt::Debug>(row: &T) -> String {
    let text = format!("{row:?}");
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
