//! [`DbStore`]: every store trait, written once over a [`Database`].

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use tokio::try_join;

use super::statements::*;
use super::{locking, mail, sharing, write, Database, ReadCost};
use crate::dump::{
    CollectionRecord, Dump, ObjectRecord, PrincipalRecord, PropertyRecord, SharingRecords,
    TokenRecord,
};
use crate::observe::Operation;
use crate::rules::{accounts, collection as collections, range};
use crate::*;

/// A store on a database backend: `DbStore<SqliteDatabase>`, `DbStore<PostgresDatabase>`.
pub struct DbStore<D> {
    db: Arc<D>,
}

impl<D> Clone for DbStore<D> {
    fn clone(&self) -> Self {
        DbStore {
            db: Arc::clone(&self.db),
        }
    }
}

impl<D: Database> DbStore<D> {
    pub fn new(db: D) -> Self {
        DbStore { db: Arc::new(db) }
    }

    /// The backend, for what only it offers (a file path, a connection pool).
    pub fn database(&self) -> &D {
        &self.db
    }
}

impl<D: Database> DbStore<D> {
    /// [`Database::read`], timed for the observer (`crate::observe`).
    fn read<T, F>(&self, cost: ReadCost, job: F) -> impl Future<Output = Result<T>> + Send + '_
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c D::Conn) -> super::BoxFuture<'c, Result<T>> + Send + 'static,
    {
        timed(Operation::Read, self.db.read(cost, job))
    }

    /// [`Database::write`], timed for the observer.
    fn write<T, F>(&self, job: F) -> impl Future<Output = Result<T>> + Send + '_
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c D::Conn) -> super::BoxFuture<'c, Result<T>> + Send + 'static,
    {
        timed(Operation::Write, self.db.write(job))
    }
}

async fn timed<T>(operation: Operation, job: impl Future<Output = T>) -> T {
    let Some(observer) = crate::observe::observer() else {
        return job.await;
    };
    let started = Instant::now();
    let out = job.await;
    observer.operation(operation, started.elapsed());
    out
}

/// A job's closure as [`Database::read`] and [`Database::write`] take it: `$body` is a
/// future over the connection `$c` (an async block moves in what it captures).
macro_rules! job {
    (|$c:ident| $body:expr) => {
        job::<<D as Database>::Conn, _, _>(move |$c| Box::pin($body))
    };
}

/// Gives a job's closure the signature the database takes: the future it returns borrows
/// the connection it is given.
fn job<C, T, F>(f: F) -> F
where
    F: for<'c> FnOnce(&'c C) -> super::BoxFuture<'c, Result<T>>,
{
    f
}

#[async_trait]
impl<D: Database> Accounts for DbStore<D> {
    async fn create_user(&self, user: NewUser) -> Result<User> {
        let job = job!(|c| async move { write::create_user(c, &user).await });
        self.write(job).await
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        let name = name.to_owned();
        let job = job!(|c| async move { c.account_by_name(&name).await });
        let found = self.read(ReadCost::Key, job).await?;
        Ok(found.filter(accounts::may_sign_in))
    }

    fn commit_mark(&self) -> Option<u64> {
        self.db.commit_mark()
    }

    async fn account_by_name(&self, name: &str) -> Result<Option<User>> {
        let name = name.to_owned();
        let job = job!(|c| async move { c.account_by_name(&name).await });
        self.read(ReadCost::Key, job).await
    }

    async fn user_by_id(&self, id: PrincipalId) -> Result<Option<User>> {
        let job = job!(|c| c.user_by_id(id));
        self.db.read(ReadCost::Key, job).await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let job = job!(|c| c.list_users());
        self.read(ReadCost::Scan, job).await
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        let job = job!(|c| async move { write::set_password(c, &name, &hash).await });
        self.write(job).await
    }

    async fn remove_user(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        let job = job!(|c| async move { write::remove_user(c, &name).await });
        self.write(job).await
    }

    async fn usage_bytes(&self, owner: PrincipalId) -> Result<u64> {
        let job = job!(|c| c.usage_bytes(owner));
        self.read(ReadCost::Scan, job).await
    }

    async fn create_token(&self, token: NewToken) -> Result<AppToken> {
        let job = job!(|c| async move { c.insert_token(&token, super::now_ms()).await });
        self.write(job).await
    }

    async fn tokens(&self, owner: PrincipalId) -> Result<Vec<AppToken>> {
        let job = job!(|c| c.tokens(owner));
        self.read(ReadCost::Key, job).await
    }

    async fn revoke_token(&self, owner: PrincipalId, label: &str) -> Result<()> {
        let label = label.to_owned();
        let job = job!(|c| async move { write::revoke_token(c, owner, &label).await });
        self.write(job).await
    }

    async fn user_by_token(&self, name: &str, hash: &str) -> Result<Option<(User, AppToken)>> {
        let (name, hash) = (name.to_owned(), hash.to_owned());
        let job = job!(|c| async move { c.user_by_token(&name, &hash).await });
        Ok(accounts::signing_in(self.read(ReadCost::Key, job).await?))
    }

    async fn token_used(&self, id: i64, at: i64) -> Result<()> {
        let job = job!(|c| c.set_token_used(id, at));
        self.write(job).await
    }

    async fn set_details(
        &self,
        name: &str,
        display_name: Option<&str>,
        email: Option<&str>,
    ) -> Result<()> {
        let (name, display_name, email) = (
            name.to_owned(),
            display_name.map(str::to_owned),
            email.map(str::to_owned),
        );
        let job = job!(|c| async move {
            match c
                .set_details(&name, display_name.as_deref(), email.as_deref())
                .await?
            {
                0 => Err(StoreError::NotFound),
                _ => Ok(()),
            }
        });
        self.db.write(job).await
    }

    async fn set_admin(&self, name: &str, admin: bool) -> Result<()> {
        let name = name.to_owned();
        let job = job!(|c| async move { write::set_admin(c, &name, admin).await });
        self.write(job).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let name = name.to_owned();
        let job = job!(|c| async move { write::set_disabled(c, &name, disabled).await });
        self.write(job).await
    }

    async fn set_quota(&self, name: &str, quota_bytes: Option<u64>) -> Result<()> {
        let name = name.to_owned();
        let job = job!(|c| async move { write::set_quota(c, &name, quota_bytes).await });
        self.write(job).await
    }
}

#[async_trait]
impl<D: Database> Collections for DbStore<D> {
    async fn collection(&self, owner: PrincipalId, path: &str) -> Result<Option<Collection>> {
        let path = path.to_owned();
        let job = job!(|c| async move { c.collection(owner, &path).await });
        self.read(ReadCost::Key, job).await
    }

    async fn collection_member(
        &self,
        owner: PrincipalId,
        path: &str,
        name: &str,
    ) -> Result<Option<(Collection, Option<StoredObject>)>> {
        let (path, name) = (path.to_owned(), name.to_owned());
        let job = job!(|c| async move { c.collection_member(owner, &path, &name).await });
        self.read(ReadCost::Key, job).await
    }

    async fn collection_by_id(&self, id: CollectionId) -> Result<Option<Collection>> {
        let job = job!(|c| async move {
            let record = c.collection_record(id).await?;
            Ok(record
                .filter(|r| r.deleted_at.is_none())
                .map(|r| r.collection))
        });
        self.db.read(ReadCost::Key, job).await
    }

    async fn child_collections(&self, owner: PrincipalId, parent: &str) -> Result<Vec<Collection>> {
        let parent = parent.to_owned();
        let job = job!(|c| async move {
            let tree = c.collection_tree(owner, &parent).await?;
            Ok(collections::children(tree, &parent))
        });
        self.read(ReadCost::Scan, job).await
    }

    async fn create_collection(&self, new: NewCollection, change: &Change) -> Result<Collection> {
        let change = change.clone();
        let job = job!(|c| async move { write::create_collection(c, &new, &change).await });
        self.write(job).await
    }

    async fn delete_collection(
        &self,
        owner: PrincipalId,
        path: &str,
        change: &Change,
    ) -> Result<()> {
        let (path, change) = (path.to_owned(), change.clone());
        let job = job!(|c| async move { write::delete_collection(c, owner, &path, &change).await });
        self.write(job).await
    }

    async fn transfer_collection(
        &self,
        transfer: CollectionTransfer,
        change: &Change,
    ) -> Result<bool> {
        let change = change.clone();
        let job = job!(|c| async move { write::transfer_collection(c, &transfer, &change).await });
        self.write(job).await
    }
}

#[async_trait]
impl<D: Database> Objects for DbStore<D> {
    async fn objects(&self, collection: CollectionId) -> Result<Vec<ObjectMeta>> {
        let job = job!(|c| c.objects(collection));
        self.read(ReadCost::Scan, job).await
    }

    async fn objects_page(
        &self,
        collection: CollectionId,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>> {
        let job =
            job!(|c| async move { c.objects_page(collection, after.as_deref(), limit).await });
        self.read(ReadCost::Scan, job).await
    }

    async fn object_count(&self, collection: CollectionId) -> Result<u64> {
        let job = job!(|c| c.object_count(collection));
        self.read(ReadCost::Scan, job).await
    }

    async fn object(&self, collection: CollectionId, name: &str) -> Result<Option<StoredObject>> {
        let name = name.to_owned();
        let job = job!(|c| async move { c.object(collection, &name).await });
        self.read(ReadCost::Key, job).await
    }

    async fn objects_in_range(
        &self,
        collection: CollectionId,
        component: Option<&str>,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<Vec<ObjectMeta>> {
        let component = component.map(str::to_owned);
        let job = job!(|c| async move {
            c.objects_in_range(collection, component.as_deref(), start, end)
                .await
        });
        self.read(ReadCost::Scan, job).await
    }

    async fn events_in_range(&self, query: EventRange) -> Result<EventCandidates> {
        let job = job!(|c| async move {
            let query = range::EventQuery::new(&query);
            let (matched, undecided) =
                try_join!(c.indexed_events(&query), c.unindexed_events(&query))?;
            Ok(range::merge(matched, undecided))
        });
        self.read(ReadCost::Scan, job).await
    }

    async fn objects_by_name(
        &self,
        collection: CollectionId,
        names: &[String],
    ) -> Result<Vec<StoredObject>> {
        let names = names.to_vec();
        let job = job!(|c| async move { c.objects_by_name(collection, &names).await });
        self.read(ReadCost::Scan, job).await
    }

    async fn objects_by_uid(&self, owner: PrincipalId, uid: &str) -> Result<Vec<StoredObject>> {
        let uid = uid.to_owned();
        let job = job!(|c| async move { c.objects_by_uid(owner, &uid).await });
        self.read(ReadCost::Key, job).await
    }

    async fn put_object(&self, put: PutObject, change: &Change) -> Result<PutOutcome> {
        let change = change.clone();
        let job = job!(|c| async move { write::put_object(c, &put, &change).await });
        self.write(job).await
    }

    async fn delete_object(
        &self,
        collection: CollectionId,
        name: &str,
        expect: Expect,
        change: &Change,
    ) -> Result<()> {
        let (name, change) = (name.to_owned(), change.clone());
        let job = job!(|c| async move {
            write::delete_object(c, collection, &name, &expect, &change, &[]).await
        });
        self.write(job).await
    }

    async fn transfer_object(&self, transfer: ObjectTransfer, change: &Change) -> Result<bool> {
        let change = change.clone();
        let job = job!(|c| async move { write::transfer_object(c, &transfer, &change).await });
        self.write(job).await
    }
}

#[async_trait]
impl<D: Database> Properties for DbStore<D> {
    async fn properties(
        &self,
        collection: CollectionId,
        object: Option<&str>,
    ) -> Result<Vec<Property>> {
        let object = object.unwrap_or("").to_owned();
        let job = job!(|c| async move { c.properties(collection, &object).await });
        self.read(ReadCost::Key, job).await
    }

    async fn member_properties(&self, collection: CollectionId) -> Result<Vec<(String, Property)>> {
        let job = job!(|c| c.member_properties(collection));
        self.read(ReadCost::Scan, job).await
    }

    async fn patch_properties(&self, patch: PropertyPatch, change: &Change) -> Result<()> {
        let change = change.clone();
        let job = job!(|c| async move { write::patch_properties(c, &patch, &change).await });
        self.write(job).await
    }
}

#[async_trait]
impl<D: Database> ChangeLog for DbStore<D> {
    async fn changes_since(
        &self,
        collection: CollectionId,
        after: i64,
        upto: i64,
    ) -> Result<Vec<ChangedMember>> {
        let job = job!(|c| async move {
            let rows = c.changes_since(collection, after, upto).await?;
            Ok(ChangedMember::last_states(rows))
        });
        self.read(ReadCost::Scan, job).await
    }

    async fn versions(&self, collection: CollectionId) -> Result<Vec<Version>> {
        let job = job!(|c| c.versions(collection));
        self.read(ReadCost::Scan, job).await
    }

    async fn version_with_etag(
        &self,
        collection: CollectionId,
        name: &str,
        etag: &str,
    ) -> Result<Option<Version>> {
        let (name, etag) = (name.to_owned(), etag.to_owned());
        let job = job!(|c| async move { c.version_with_etag(collection, &name, &etag).await });
        self.read(ReadCost::Key, job).await
    }
}

#[async_trait]
impl<D: Database> Locks for DbStore<D> {
    async fn locks(&self, home: PrincipalId) -> Result<Vec<DavLock>> {
        let job = job!(|c| async move {
            let now = super::now_ms();
            let mut locks = c.home_locks(home).await?;
            locks.retain(|l| rules::locks::is_live(l, now));
            Ok(locks)
        });
        self.read(ReadCost::Key, job).await
    }

    async fn create_lock(&self, new: NewLock, change: &Change) -> Result<DavLock> {
        let change = change.clone();
        let job = job!(|c| async move { locking::create_lock(c, &new, &change).await });
        self.write(job).await
    }

    async fn refresh_locks(
        &self,
        home: PrincipalId,
        path: &str,
        claim: &LockClaim,
        timeout_secs: u64,
    ) -> Result<Vec<DavLock>> {
        let (path, claim) = (path.to_owned(), claim.clone());
        let job = job!(|c| async move {
            locking::refresh_locks(c, home, &path, &claim, timeout_secs).await
        });
        self.write(job).await
    }

    async fn remove_lock(
        &self,
        home: PrincipalId,
        path: &str,
        token: &str,
        principal: PrincipalId,
    ) -> Result<()> {
        let (path, token) = (path.to_owned(), token.to_owned());
        let job =
            job!(|c| async move { locking::remove_lock(c, home, &path, &token, principal).await });
        self.write(job).await
    }
}

#[async_trait]
impl<D: Database> History for DbStore<D> {
    async fn history_collections(
        &self,
        owner: Option<PrincipalId>,
    ) -> Result<Vec<HistoryCollection>> {
        let job = job!(|c| c.history_collections(owner));
        self.read(ReadCost::Scan, job).await
    }

    async fn version(&self, id: i64) -> Result<Option<Version>> {
        let job = job!(|c| c.version(id));
        self.read(ReadCost::Key, job).await
    }

    async fn restore_collection(&self, id: CollectionId, change: &Change) -> Result<Collection> {
        let change = change.clone();
        let job = job!(|c| async move { write::restore_collection(c, id, &change).await });
        self.write(job).await
    }

    async fn prune_history(&self, before: i64, change: &Change) -> Result<u64> {
        let change = change.clone();
        let job = job!(|c| async move { write::prune_history(c, before, &change).await });
        self.write(job).await
    }

    async fn history_stats(&self) -> Result<Vec<HistoryStats>> {
        let job = job!(|c| c.history_stats());
        self.read(ReadCost::Scan, job).await
    }
}

#[async_trait]
impl<D: Database> Sharing for DbStore<D> {
    async fn privilege(
        &self,
        user: PrincipalId,
        collection: CollectionId,
    ) -> Result<Option<Privilege>> {
        let job = job!(|c| async move {
            Ok(c.privilege(user, collection)
                .await?
                .and_then(Privilege::from_rank))
        });
        self.db.read(ReadCost::Key, job).await
    }

    async fn grants(&self, collection: CollectionId) -> Result<Vec<Grant>> {
        let job = job!(|c| c.grants(collection));
        self.db.read(ReadCost::Key, job).await
    }

    async fn grants_by_owner(&self, owner: PrincipalId) -> Result<Vec<Grant>> {
        let job = job!(|c| c.grants_by_owner(owner));
        self.db.read(ReadCost::Scan, job).await
    }

    async fn reachable(&self, user: PrincipalId) -> Result<Vec<Reachable>> {
        let job = job!(|c| c.reachable(user));
        self.db.read(ReadCost::Scan, job).await
    }

    async fn grant(
        &self,
        collection: CollectionId,
        grantee: Grantee,
        privilege: Privilege,
        bind: bool,
        change: &Change,
    ) -> Result<()> {
        let change = change.clone();
        let job = job!(|c| async move {
            sharing::grant(c, collection, grantee, privilege, bind, &change).await
        });
        self.db.write(job).await
    }

    async fn revoke(
        &self,
        collection: CollectionId,
        grantee: Grantee,
        change: &Change,
    ) -> Result<()> {
        let change = change.clone();
        let job = job!(|c| async move { sharing::revoke(c, collection, grantee, &change).await });
        self.db.write(job).await
    }

    async fn accept(
        &self,
        collection: CollectionId,
        user: PrincipalId,
        change: &Change,
    ) -> Result<Collection> {
        let change = change.clone();
        let job = job!(|c| async move { sharing::accept(c, collection, user, &change).await });
        self.db.write(job).await
    }

    async fn groups(&self) -> Result<Vec<Group>> {
        let job = job!(|c| c.groups());
        self.db.read(ReadCost::Scan, job).await
    }

    async fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let name = name.to_owned();
        let job = job!(|c| async move { c.group_by_name(&name).await });
        self.db.read(ReadCost::Key, job).await
    }

    async fn create_group(&self, name: &str, display_name: Option<&str>) -> Result<Group> {
        let (name, display_name) = (name.to_owned(), display_name.map(str::to_owned));
        let job =
            job!(|c| async move { sharing::create_group(c, &name, display_name.as_deref()).await });
        self.db.write(job).await
    }

    async fn remove_group(&self, name: &str, change: &Change) -> Result<()> {
        let (name, change) = (name.to_owned(), change.clone());
        let job = job!(|c| async move { sharing::remove_group(c, &name, &change).await });
        self.db.write(job).await
    }

    async fn group_members(&self, group: GroupId) -> Result<Vec<User>> {
        let job = job!(|c| c.members(group));
        self.db.read(ReadCost::Key, job).await
    }

    async fn groups_of(&self, user: PrincipalId) -> Result<Vec<Group>> {
        let job = job!(|c| c.groups_of(user));
        self.db.read(ReadCost::Key, job).await
    }

    async fn add_member(
        &self,
        group: GroupId,
        user: PrincipalId,
        bind: bool,
        change: &Change,
    ) -> Result<()> {
        let change = change.clone();
        let job = job!(|c| async move { sharing::add_member(c, group, user, bind, &change).await });
        self.db.write(job).await
    }

    async fn remove_member(
        &self,
        group: GroupId,
        user: PrincipalId,
        change: &Change,
    ) -> Result<()> {
        let change = change.clone();
        let job = job!(|c| async move { sharing::remove_member(c, group, user, &change).await });
        self.db.write(job).await
    }
}

#[async_trait]
impl<D: Database> Dump for DbStore<D> {
    async fn dump_sharing(&self) -> Result<SharingRecords> {
        let job = job!(|c| c.dump_sharing());
        self.db.read(ReadCost::Scan, job).await
    }

    async fn load_sharing(&self, rows: SharingRecords) -> Result<()> {
        let job = job!(|c| async move { c.load_sharing(&rows).await });
        self.db.write(job).await
    }

    async fn dump_principals(&self) -> Result<Vec<PrincipalRecord>> {
        let job = job!(|c| c.dump_principals());
        self.read(ReadCost::Scan, job).await
    }

    async fn dump_tokens(&self) -> Result<Vec<TokenRecord>> {
        let job = job!(|c| c.dump_tokens());
        self.read(ReadCost::Scan, job).await
    }

    async fn load_tokens(&self, rows: Vec<TokenRecord>) -> Result<()> {
        let job = job!(|c| async move { c.load_tokens(&rows).await });
        self.write(job).await
    }

    async fn dump_collections(&self) -> Result<Vec<CollectionRecord>> {
        let job = job!(|c| c.dump_collections());
        self.read(ReadCost::Scan, job).await
    }

    async fn dump_objects(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>> {
        let job = job!(|c| c.dump_objects(collection, after, limit));
        self.read(ReadCost::Scan, job).await
    }

    async fn dump_properties(&self, collection: CollectionId) -> Result<Vec<PropertyRecord>> {
        let job = job!(|c| c.dump_properties(collection));
        self.read(ReadCost::Scan, job).await
    }

    async fn dump_versions(
        &self,
        collection: CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Version>> {
        let job = job!(|c| c.dump_versions(collection, after, limit));
        self.read(ReadCost::Scan, job).await
    }

    async fn is_empty(&self) -> Result<bool> {
        let job = job!(|c| c.is_empty());
        self.read(ReadCost::Scan, job).await
    }

    async fn load_principals(&self, rows: Vec<PrincipalRecord>) -> Result<()> {
        let job = job!(|c| async move { c.load_principals(&rows).await });
        self.write(job).await
    }

    async fn load_collections(&self, rows: Vec<CollectionRecord>) -> Result<()> {
        let job = job!(|c| async move { c.load_collections(&rows).await });
        self.write(job).await
    }

    async fn load_objects(&self, rows: Vec<ObjectRecord>) -> Result<()> {
        let job = job!(|c| async move { c.load_objects(&rows).await });
        self.write(job).await
    }

    async fn load_properties(&self, rows: Vec<PropertyRecord>) -> Result<()> {
        let job = job!(|c| async move { c.load_properties(&rows).await });
        self.write(job).await
    }

    async fn load_versions(&self, rows: Vec<Version>) -> Result<()> {
        let job = job!(|c| async move { c.load_versions(&rows).await });
        self.write(job).await
    }

    async fn finish_load(&self) -> Result<()> {
        let job = job!(|c| c.finish_load());
        self.write(job).await
    }
}

#[async_trait]
impl<D: Database> MailOutbox for DbStore<D> {
    async fn claim_mail(&self, limit: u32) -> Result<Vec<QueuedMail>> {
        let job = job!(|c| async move { mail::claim(c, limit).await });
        self.write(job).await
    }

    async fn mail_sent(&self, id: i64) -> Result<()> {
        let job = job!(|c| async move { mail::sent(c, id).await });
        self.write(job).await
    }

    async fn mail_not_sent(
        &self,
        queued: &QueuedMail,
        error: &str,
        permanent: bool,
        backoff: crate::rules::mail::Backoff,
    ) -> Result<MailFate> {
        let (id, attempts, error) = (queued.id, queued.attempts, error.to_owned());
        let job =
            job!(
                |c| async move { mail::not_sent(c, id, attempts, &error, permanent, backoff).await }
            );
        self.write(job).await
    }

    async fn mail_of(&self, organizer: PrincipalId) -> Result<Vec<QueuedMail>> {
        let job = job!(|c| c.mail_of(organizer));
        self.read(ReadCost::Scan, job).await
    }

    async fn delete_object_sending(
        &self,
        collection: CollectionId,
        name: &str,
        expect: Expect,
        change: &Change,
        queued: Vec<NewMail>,
    ) -> Result<()> {
        let (name, change) = (name.to_owned(), change.clone());
        let job = job!(|c| async move {
            write::delete_object(c, collection, &name, &expect, &change, &queued).await
        });
        self.write(job).await
    }
}

#[async_trait]
impl<D: Database> Status for DbStore<D> {
    async fn status(&self) -> Result<StoreStatus> {
        let job = job!(|c| async move {
            let ((schema, schema_expected), (users, objects)) =
                try_join!(c.schema_versions(), c.totals())?;
            Ok(StoreStatus {
                schema,
                schema_expected,
                users,
                objects,
            })
        });
        self.read(ReadCost::Key, job).await
    }
}
