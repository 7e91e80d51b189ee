//===- Archive.cpp - Static archives and embedded metadata ----------------===//
#include "nnm/Compiler/Driver.h"

#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

namespace nnm {

/// Section holding the model's metadata JSON in every compiled object.
constexpr const char *kMetadataSection = ".nnmodel.meta";

bool makeArchive(const std::vector<Blob> &objects, std::string &archive, std::string &error) {
  std::vector<llvm::NewArchiveMember> members;
  for (const Blob &o : objects) {
    llvm::NewArchiveMember member(llvm::MemoryBufferRef(o.bytes, o.name));
    member.MemberName = o.name;
    // Deterministic: no timestamps, owners or modes from the build machine.
    member.ModTime = llvm::sys::toTimePoint(0);
    member.UID = member.GID = 0;
    member.Perms = 0644;
    members.push_back(std::move(member));
  }
  auto buf = llvm::writeArchiveToBuffer(members, llvm::SymtabWritingMode::NormalSymtab,
                                        llvm::object::Archive::K_GNU, /*Deterministic=*/true,
                                        /*Thin=*/false);
  if (!buf) {
    error = llvm::toString(buf.takeError());
    return false;
  }
  archive.assign((*buf)->getBufferStart(), (*buf)->getBufferSize());
  return true;
}

static bool metadataFromObject(llvm::MemoryBufferRef ref, std::string &json) {
  auto obj = llvm::object::ObjectFile::createObjectFile(ref);
  if (!obj) {
    llvm::consumeError(obj.takeError());
    return false;
  }
  for (const llvm::object::SectionRef &s : (*obj)->sections()) {
    auto name = s.getName();
    if (!name || *name != kMetadataSection) {
      if (!name)
        llvm::consumeError(name.takeError());
      continue;
    }
    auto contents = s.getContents();
    if (!contents) {
      llvm::consumeError(contents.takeError());
      return false;
    }
    json = contents->str();
    while (!json.empty() && json.back() == '\0')
      json.pop_back();
    return true;
  }
  return false;
}

bool readEmbeddedMetadata(const std::string &path, std::string &json, std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf) {
    error = "cannot read '" + path + "': " + buf.getError().message();
    return false;
  }
  llvm::MemoryBufferRef ref = (*buf)->getMemBufferRef();
  if (ref.getBuffer().starts_with("!<arch>\n")) {
    auto ar = llvm::object::Archive::create(ref);
    if (!ar) {
      error = "'" + path + "' is not a valid archive: " + llvm::toString(ar.takeError());
      return false;
    }
    llvm::Error err = llvm::Error::success();
    for (const auto &child : (*ar)->children(err)) {
      auto mem = child.getMemoryBufferRef();
      if (!mem) {
        llvm::consumeError(mem.takeError());
        continue;
      }
      if (metadataFromObject(*mem, json)) {
        llvm::consumeError(std::move(err));
        return true;
      }
    }
    if (err) {
      error = "'" + path + "': " + llvm::toString(std::move(err));
      return false;
    }
  } else if (metadataFromObject(ref, json)) {
    return true;
  }
  error = "'" + path + "' holds no NNModel metadata (not built by nnmodel compile?)";
  return false;
}

bool writeFileAtomically(const std::string &path, const std::string &data, std::string &error) {
  llvm::SmallString<256> tmp;
  std::string model = path + ".tmp-%%%%%%";
  int fd;
  if (auto ec = llvm::sys::fs::createUniqueFile(model, fd, tmp)) {
    error = "cannot create a file next to '" + path + "': " + ec.message();
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << data;
    os.close();
    if (os.has_error()) {
      error = "cannot write '" + path + "': " + os.error().message();
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  }
  llvm::sys::fs::setPermissions(tmp, llvm::sys::fs::perms(0644));
  if (auto ec = llvm::sys::fs::rename(tmp, path)) {
    error = "cannot rename into '" + path + "': " + ec.message();
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

} // namespace nnm
