"""The picture of the convolutional pages: the bundled cat, or this session's own upload or webcam photo."""

from __future__ import annotations

import streamlit as st

from dropviz.data import images
from dropviz.data.images import WorkingImage
from dropviz.i18n import _

# -- the picture the convolutional pages work on ----------------------------------------------------

_IMAGE = "dropviz_image"  # session_state: this session's uploaded WorkingImage (absent: the cat)
_IMAGE_MSG = "dropviz_image_message"  # session_state: why the last upload was refused (the ImageLoadError,
# translated when shown: the user may switch language after the upload)


def _load_from(widget_key: str) -> None:
    """on_change of the uploader / camera: decode once, keep the result (or the reason) in this session."""
    f = st.session_state.get(widget_key)
    st.session_state.pop(_IMAGE_MSG, None)
    if f is None:  # the user removed the file: back to the cat
        st.session_state.pop(_IMAGE, None)
        return
    try:
        st.session_state[_IMAGE] = images.load_upload(f.getvalue(), f.name)
    except images.ImageLoadError as e:
        st.session_state.pop(_IMAGE, None)
        st.session_state[_IMAGE_MSG] = e


def _back_to_cat() -> None:
    st.session_state.pop(_IMAGE, None)
    st.session_state.pop(_IMAGE_MSG, None)


def image_source() -> WorkingImage:
    """The picture of the convolutional pages: the bundled cat, or this session's own upload or webcam photo
    (it replaces the cat on every conv page of this session only). A file that cannot be used gets a clear
    message and the page carries on with the cat."""
    current: WorkingImage | None = st.session_state.get(_IMAGE)
    with st.expander(_("Your own image: upload a PNG, JPEG or WebP, or take a webcam photo"), icon=":material/upload:",
                     expanded=current is not None or _IMAGE_MSG in st.session_state):
        st.file_uploader(
            _("Upload an image"), type=["png", "jpg", "jpeg", "webp"], key="upload_image",
            on_change=_load_from, args=("upload_image",),
            help=_("Up to {mb} MB and {mp} megapixels; it is downscaled to {px} px on its longest side and stays in "
                   "this session.").format(mb=images.MAX_BYTES // 2**20, mp=images.MAX_PIXELS // 10**6,
                                           px=images.WORKING_SIZE),
        )
        if st.toggle(_("Use the webcam"), key="use_camera"):
            st.camera_input(_("Take a photo"), key="camera_image", on_change=_load_from, args=("camera_image",))
        if current is not None:
            st.button(_("Back to the cat"), on_click=_back_to_cat, icon=":material/pets:")
    if _IMAGE_MSG in st.session_state:
        err = st.session_state[_IMAGE_MSG]
        st.warning(err.shown() if isinstance(err, images.ImageLoadError) else str(err), icon=":material/broken_image:")
    if current is None:
        st.caption(_("The picture: {credit}, at {size}.").format(credit=_(images.CAT_CREDIT),
                                                                  size=_size_text(images.cat())))
        return images.cat()
    if current.note_parts:
        st.caption(_("The picture: **{name}** (yours, this session only), at {size}; {notes}.").format(
            name=current.name, size=_size_text(current), notes=current.note_shown()))
    else:
        st.caption(_("The picture: **{name}** (yours, this session only), at {size}.").format(
            name=current.name, size=_size_text(current)))
    return current


def _size_text(image: WorkingImage) -> str:
    h, w = image.size
    return _("{w} × {h} pixels").format(w=w, h=h)


