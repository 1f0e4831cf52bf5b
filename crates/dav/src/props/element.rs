//! Element builders the property tables share.

use dav_xml::{Element, QName};

/// `<D:href>url</D:href>`.
pub(super) fn href(url: impl Into<String>) -> Element {
    Element::text(QName::dav("href"), url)
}

/// `name` with the one child `child`.
pub(super) fn wrap(name: QName, child: Element) -> Element {
    Element::new(name).with_child(child)
}
