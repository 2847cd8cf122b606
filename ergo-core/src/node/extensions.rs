//! Per-node state of the layers above the node (the event registry, the application table, the
//! network manager...): one value per type, made on first use and dropped with the node. Owns
//! the typed map only; must not know what the values are.

use std::any::{Any, TypeId};
use std::sync::{Arc, RwLock};

/// A node's extension values, keyed by their type. A handful of entries at most, so a vector
/// scanned in order beats a hash map.
#[derive(Default)]
pub(crate) struct Extensions {
    values: RwLock<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Extensions {
    /// The value of type `T`, if one was set.
    pub(crate) fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let values = self.values.read().unwrap_or_else(|p| p.into_inner());
        find::<T>(&values)
    }

    /// The value of type `T`, made by `make` when there is none yet (once: a racing second
    /// caller gets the first one's value).
    pub(crate) fn get_or_insert_with<T: Any + Send + Sync>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        if let Some(value) = self.get::<T>() {
            return value;
        }
        let mut values = self.values.write().unwrap_or_else(|p| p.into_inner());
        if let Some(value) = find::<T>(&values) {
            return value;
        }
        let value = Arc::new(make());
        values.push((
            TypeId::of::<T>(),
            Arc::clone(&value) as Arc<dyn Any + Send + Sync>,
        ));
        value
    }

    /// Sets the value of type `T`; false (and `value` dropped) when one was set already.
    #[cfg_attr(not(feature = "dist"), allow(dead_code))]
    pub(crate) fn insert<T: Any + Send + Sync>(&self, value: Arc<T>) -> bool {
        let mut values = self.values.write().unwrap_or_else(|p| p.into_inner());
        if find::<T>(&values).is_some() {
            return false;
        }
        values.push((TypeId::of::<T>(), value as Arc<dyn Any + Send + Sync>));
        true
    }
}

fn find<T: Any + Send + Sync>(values: &[(TypeId, Arc<dyn Any + Send + Sync>)]) -> Option<Arc<T>> {
    values
        .iter()
        .find(|(id, _)| *id == TypeId::of::<T>())
        .and_then(|(_, value)| Arc::clone(value).downcast::<T>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type_made_once() {
        let ext = Extensions::default();
        assert!(ext.get::<u32>().is_none());
        assert_eq!(*ext.get_or_insert_with(|| 7u32), 7);
        assert_eq!(*ext.get_or_insert_with(|| 9u32), 7);
        assert!(!ext.insert(Arc::new(8u32)));
        assert!(ext.insert(Arc::new(String::from("x"))));
        assert_eq!(
            ext.get::<String>().as_deref().map(String::as_str),
            Some("x")
        );
        assert_eq!(ext.get::<u32>().as_deref(), Some(&7));
    }
}
